import assert from 'node:assert/strict';
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import semver from 'semver';

// `npm audit` cannot reach its advisory service here; this checks what is installed against known minimums.

const ROOT = join(import.meta.dirname, '..', '..');
const DEPENDENCIES_MD = join(ROOT, '..', 'shared', 'design', 'DEPENDENCIES.md');

/** A copy passes at or above the highest floor, or at or above the floor of its own release line. */
interface Floor {
  name: string;
  floors: string[];
}

interface InstalledCopy {
  name: string;
  version: string;
  /** Relative to the project root, e.g. node_modules/xml-crypto/node_modules/@xmldom/xmldom. */
  path: string;
}

/** Packages on the request path DEPENDENCIES.md gives no floor, each with what its floor fixes. */
const REQUEST_PATH_FLOORS: Floor[] = [
  { name: 'express', floors: ['5.0.0', '4.20.0'] }, // CVE-2024-29041 open redirect, CVE-2024-43796 XSS in res.redirect
  { name: 'body-parser', floors: ['2.2.1', '1.20.3'] }, // GHSA-wqch-xfxh-vrr4 (2.2.0) and CVE-2024-45590 (1.x): urlencoded DoS
  { name: 'qs', floors: ['6.16.0'] }, // GHSA-6rw7-vpxm-498p, GHSA-w7fw-mjwx-w883, GHSA-x5fp-wj9c-mxmx: arrayLimit bypasses (memory DoS)
  { name: 'path-to-regexp', floors: ['8.4.0', '0.1.12'] }, // GHSA-j3q9-mxjg-w52f, GHSA-27v5-c462-wpq7 (8.x) and CVE-2024-52798 (0.1.x): ReDoS
  { name: 'cookie', floors: ['0.7.0'] }, // CVE-2024-47764: out-of-bounds characters in cookie name, path and domain
  { name: 'send', floors: ['1.1.0', '0.19.0'] }, // CVE-2024-43799: template injection in the redirect page
  { name: 'serve-static', floors: ['2.1.0', '1.16.0'] }, // CVE-2024-43800: template injection in the redirect page
  { name: 'undici', floors: ['7.18.2', '6.23.0'] }, // CVE-2026-22036: unbounded Content-Encoding chain (Graph, metadata fetches)
  { name: 'ldapts', floors: ['8.0.0'] }, // no advisory known: 8.x is the line DEPENDENCIES.md chose; an older one is a silent downgrade
];

/** The "name ≥ A (or ≥ B)" floors stated in DEPENDENCIES.md's table. */
function floorsFromDoc(markdown: string): Floor[] {
  const rows = markdown.split('\n').filter((line) => line.startsWith('|'));
  return rows.flatMap((row) =>
    Array.from(row.matchAll(/((?:@[\w.-]+\/)?[\w.-]+) ≥ (\d+\.\d+\.\d+)((?: \(or ≥ \d+\.\d+\.\d+\))*)/g), (m) => ({
      name: m[1]!,
      floors: [m[2]!, ...Array.from(m[3]!.matchAll(/≥ (\d+\.\d+\.\d+)/g), (alt) => alt[1]!)],
    })),
  );
}

/** A release line as semver's caret ranges see it: the major, or the minor under 0.x. */
const releaseLine = (version: string) => (semver.major(version) > 0 ? `${semver.major(version)}` : `0.${semver.minor(version)}`);

/** One line per installed copy below its floor; a floor for a package not installed checks nothing. */
function belowFloors(floors: Floor[], copies: InstalledCopy[]): string[] {
  const problems: string[] = [];
  for (const floor of floors) {
    const highest = floor.floors.reduce((a, b) => (semver.gt(a, b) ? a : b));
    for (const copy of copies.filter((c) => c.name === floor.name)) {
      const version = semver.valid(copy.version);
      if (!version) {
        problems.push(`${copy.name} at ${copy.path} has no readable version (${copy.version})`);
        continue;
      }
      const ownLine = floor.floors.find((f) => releaseLine(f) === releaseLine(version));
      if (semver.gte(version, highest) || (ownLine && semver.gte(version, ownLine))) continue;
      const stated = (ownLine ? [ownLine] : floor.floors).map((f) => `≥ ${f}`).join(' or ');
      problems.push(`${copy.name} ${version} at ${copy.path} is below its floor ${stated}`);
    }
  }
  return problems;
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every package under `dir`, scoped and nested copies included, named as its package.json says. */
async function installedCopies(dir: string): Promise<InstalledCopy[]> {
  const copies: InstalledCopy[] = [];
  for (const entry of await entries(dir)) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? (await entries(join(dir, entry.name))).filter((e) => e.isDirectory()).map((e) => join(dir, entry.name, e.name))
      : [join(dir, entry.name)];
    for (const pkgDir of dirs) {
      const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      copies.push({ name: pkg.name ?? relative(dir, pkgDir), version: pkg.version ?? '', path: relative(ROOT, pkgDir) });
      copies.push(...(await installedCopies(join(pkgDir, 'node_modules'))));
    }
  }
  return copies;
}

describe('dependency security floors', () => {
  it('reads the floors DEPENDENCIES.md states, alternatives included', async () => {
    const floors = floorsFromDoc(await readFile(DEPENDENCIES_MD, 'utf8'));
    const of = (name: string) => floors.find((f) => f.name === name)?.floors;
    assert.deepEqual(of('@xmldom/xmldom'), ['0.9.12', '0.8.15']);
    assert.deepEqual(of('xml-crypto'), ['6.1.2']);
    assert.deepEqual(of('samlify'), ['2.13.1']);
    assert.deepEqual(of('@node-saml/node-saml'), ['5.1.0']);
  });

  it('finds every installed copy at or above its floor, nested copies included', async () => {
    const floors = [...floorsFromDoc(await readFile(DEPENDENCIES_MD, 'utf8')), ...REQUEST_PATH_FLOORS];
    const copies = await installedCopies(join(ROOT, 'node_modules'));
    assert.ok(copies.some((c) => c.path === join('node_modules', 'xml-crypto', 'node_modules', '@xmldom', 'xmldom')), 'xml-crypto\'s own xmldom is seen');
    assert.deepEqual(belowFloors(floors, copies), []);
  });

  it('fails a copy below the floor of its own line, or below every alternative, naming package, version, path and floor', () => {
    const floors: Floor[] = [
      { name: '@xmldom/xmldom', floors: ['0.9.12', '0.8.15'] },
      { name: 'body-parser', floors: ['2.2.1', '1.20.3'] },
    ];
    const copy = (name: string, version: string, path = `node_modules/${name}`) => ({ name, version, path });
    const problems = belowFloors(floors, [
      copy('@xmldom/xmldom', '0.9.12'),
      copy('@xmldom/xmldom', '0.10.0', 'node_modules/a/node_modules/@xmldom/xmldom'),
      copy('@xmldom/xmldom', '0.8.15', 'node_modules/xml-crypto/node_modules/@xmldom/xmldom'),
      copy('@xmldom/xmldom', '0.8.14', 'node_modules/samlify/node_modules/@xmldom/xmldom'),
      copy('@xmldom/xmldom', '0.9.5', 'node_modules/b/node_modules/@xmldom/xmldom'),
      copy('@xmldom/xmldom', '0.7.13', 'node_modules/c/node_modules/@xmldom/xmldom'),
      copy('body-parser', '2.2.0'),
      copy('body-parser', '1.20.3', 'node_modules/d/node_modules/body-parser'),
      copy('body-parser', '1.19.0', 'node_modules/e/node_modules/body-parser'),
    ]);
    assert.deepEqual(problems, [
      '@xmldom/xmldom 0.8.14 at node_modules/samlify/node_modules/@xmldom/xmldom is below its floor ≥ 0.8.15',
      '@xmldom/xmldom 0.9.5 at node_modules/b/node_modules/@xmldom/xmldom is below its floor ≥ 0.9.12',
      '@xmldom/xmldom 0.7.13 at node_modules/c/node_modules/@xmldom/xmldom is below its floor ≥ 0.9.12 or ≥ 0.8.15',
      'body-parser 2.2.0 at node_modules/body-parser is below its floor ≥ 2.2.1',
      'body-parser 1.19.0 at node_modules/e/node_modules/body-parser is below its floor ≥ 1.20.3',
    ]);
  });

  it('skips a floor whose package is not installed', () => {
    assert.deepEqual(belowFloors([{ name: '@node-saml/node-saml', floors: ['5.1.0'] }], [{ name: 'samlify', version: '2.13.1', path: 'node_modules/samlify' }]), []);
  });
});
