import { readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

/**
 * The layers of the production code, highest first (ARCHITECTURE.md "Dependencies point down"):
 * a module may import its own unit and units of a lower layer; units of one layer may import each
 * other as long as no cycle forms. A unit is a top-level folder, or a folder of sts/ (sts/'s own
 * files are its wiring). Test and benchmark code may import anything.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['sts'], // sts/*.ts: the runtime and the wiring of one process
  ['sts/http'], // express, listeners, every route, pages rendered from sign-in outcomes
  ['sts/protocols', 'sync', 'federation'], // one adapter per protocol; the AD → Entra engine; domain federation in Entra
  ['metadata'], // documents describing us, and partners' documents read
  ['sts/signin', 'sts/tokens', 'sts/claims', 'sts/trusts', 'sts/ui', 'health'],
  ['directory', 'entra', 'xml', 'keys'],
  ['store'],
  ['config'],
];

export interface Violation {
  file: string;
  imports: string;
  why: string;
}

/** The unit a repository path belongs to, or undefined for code outside the layers (tests, benchmarks). */
export function unitOf(path: string): string | undefined {
  const [top, sub] = path.split('/');
  if (!top || top === 'test' || top === 'bench' || sub === undefined) return undefined;
  const unit = top === 'sts' && path.split('/').length > 2 ? `sts/${sub}` : top;
  return rankOf(unit) === undefined ? undefined : unit;
}

function rankOf(unit: string): number | undefined {
  const i = LAYERS.findIndex((layer) => layer.includes(unit));
  return i < 0 ? undefined : i;
}

/** Relative imports of a TypeScript file, resolved to repository paths (`.js` specifiers name `.ts` files). */
export function importsOf(path: string, source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => normalize(join(dirname(path), spec)).replace(/\.js$/, '.ts'));
}

/** Upward imports, imports of unknown units, and cycles between units of one layer. */
export function checkLayers(files: { path: string; source: string }[]): Violation[] {
  const violations: Violation[] = [];
  const edges = new Map<string, Map<string, string>>(); // unit → imported unit → an example "file → import"
  for (const { path, source } of files) {
    const from = unitOf(path);
    if (!from) continue;
    for (const target of importsOf(path, source)) {
      const to = unitOf(target);
      if (to === from) continue;
      if (to === undefined) {
        violations.push({ file: path, imports: target, why: 'imports code outside the layers (tests, benchmarks, or an unlisted folder)' });
        continue;
      }
      const [a, b] = [rankOf(from)!, rankOf(to)!];
      if (b < a) violations.push({ file: path, imports: target, why: `${from} imports ${to}, which is above it` });
      else if (a === b) {
        const out = edges.get(from) ?? new Map<string, string>();
        if (!out.has(to)) out.set(to, `${path} → ${target}`);
        edges.set(from, out);
      }
    }
  }
  for (const cycle of cycles(edges)) {
    const [first] = cycle;
    const [head, ...rest] = cycle.map((u, i) => edges.get(u)!.get(cycle[(i + 1) % cycle.length]!)!.split(' → '));
    violations.push({ file: head![0]!, imports: [head![1], ...rest.map((e) => e.join(' → '))].join('; '), why: `cycle ${[...cycle, first].join(' → ')}` });
  }
  return violations;
}

/** Each strongly connected component of more than one unit (Tarjan), as a cycle through it. */
function cycles(edges: Map<string, Map<string, string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(orderAsCycle(component, edges));
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/** A walk v0 → v1 → … → v0 inside one component, for a message a reader can follow. */
function orderAsCycle(component: string[], edges: Map<string, Map<string, string>>): string[] {
  const inside = new Set(component);
  const start = component.sort()[0]!;
  const path = [start];
  const seen = new Set([start]);
  for (;;) {
    const next = [...(edges.get(path[path.length - 1]!)?.keys() ?? [])].filter((w) => inside.has(w));
    if (next.includes(start) && path.length > 1) return path;
    const step = next.find((w) => !seen.has(w)) ?? start;
    if (step === start) return path;
    path.push(step);
    seen.add(step);
  }
}

/** Reads the given repository-relative files under `root`. */
export async function readSources(root: string, paths: string[]): Promise<{ path: string; source: string }[]> {
  return Promise.all(paths.map(async (p) => ({ path: relative(root, join(root, p)), source: await readFile(join(root, p), 'utf8') })));
}
