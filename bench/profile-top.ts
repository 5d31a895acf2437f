import { readFile } from 'node:fs/promises';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/**
 * The functions a V8 CPU profile (`node --cpu-prof`) spent most self time in, as share of the
 * busy samples (idle time left out): where a request's CPU goes, by function and file.
 */
export async function topOfProfiles(files: string[], count = 15): Promise<{ share: string; fn: string; where: string }[]> {
  const self = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < profile.samples.length; i++) {
      const node = byId.get(profile.samples[i]!);
      if (!node) continue;
      const dt = profile.timeDeltas[i] ?? 0;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') continue;
      const where = url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, 'npm:').replace(/.*\/dist\//, 'dist/');
      const key = `${functionName || '(anonymous)'}\t${where ? `${where}:${lineNumber + 1}` : ''}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    }
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, t]) => {
    const [fn, where] = key.split('\t');
    return { share: `${((t / total) * 100).toFixed(1)} %`, fn: fn!, where: where ?? '' };
  });
}
