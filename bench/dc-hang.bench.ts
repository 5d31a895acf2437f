import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixtureSpecs } from '../test/ad/fixtures.js';
import { provisionSecondDc } from '../test/ad/second-dc.js';
import { provisionTestBed, stopTestBed } from '../test/ad/testbed.js';
import { directoryFor, ldapDefaults, memoryLogger } from '../test/directory/helpers.js';
import { summaryRow, table } from './ceiling.js';
import { percentile } from './load.js';

/*
 * Sign-in with one of two real DCs hung under load (issue [J]): a test bed of its own with a
 * second Samba DC joined to it, 16 concurrent sign-in loops (locate, bind, groups) through
 * [dc1, dc2] with the configured defaults (operation timeout 5 s, down for 30 s, then one probe);
 * dc1 is stopped (SIGSTOP) a third of the way in and stays hung. Goal: p99 < 1.5 s, 0 failures,
 * no stall after the first. BENCH_HANG_MS (default 40000): length of the run.
 */
const RUN_MS = Number(process.env.BENCH_HANG_MS ?? 40_000);
const LOOPS = 16;

const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-hang-'));
const alice = fixtureSpecs.find((s) => s.key === 'alice')!;
const bed = await provisionTestBed({ dir, realm: 'corp.example.com', netbios: 'CORP', users: [alice], joinable: true });
try {
  const dc2 = await provisionSecondDc(bed);
  const user = bed.users.alice!;
  const { lines, logger } = memoryLogger();
  const directory = directoryFor(bed, { dcs: [bed.ldapsUrl, dc2.ldapsUrl], logger });
  const samples: { at: number; ms: number; ok: boolean }[] = [];
  const start = performance.now();
  let hungAt = 0;
  const hang = (async () => {
    await sleep(RUN_MS / 3);
    hungAt = performance.now() - start;
    process.kill(-bed.pid, 'SIGSTOP');
  })();
  await Promise.all(Array.from({ length: LOOPS }, async () => {
    while (performance.now() - start < RUN_MS) {
      const t = performance.now();
      const r = await directory.authenticate(user.upn, user.password);
      samples.push({ at: t - start, ms: performance.now() - t, ok: r.ok });
    }
  }));
  await hang;
  process.kill(-bed.pid, 'SIGCONT');
  const sorted = (list: typeof samples) => list.map((s) => s.ms).sort((a, b) => a - b);
  const all = sorted(samples);
  const after = sorted(samples.filter((s) => s.at > hungAt));
  // Stalls: sign-ins that took longer than a second, started after the first stall was over.
  const firstStallEnd = samples.filter((s) => s.at > hungAt && s.ms > 1000).reduce((m, s) => Math.max(m, s.at + s.ms), hungAt);
  const laterStalls = samples.filter((s) => s.at > firstStallEnd && s.ms > 1000).length;
  const failures = samples.filter((s) => !s.ok).length;
  const timeouts = lines.filter((l) => l.msg === 'directory: operation timed out').length;
  console.log(`${LOOPS} sign-in loops for ${RUN_MS} ms through [dc1, dc2]; dc1 SIGSTOPped at ${(hungAt / 1000).toFixed(1)} s; operation timeout ${ldapDefaults.operationTimeoutMs} ms, down for ${ldapDefaults.retryDownAfterMs} ms`);
  table([
    { measure: 'sign-ins', value: String(samples.length) },
    { measure: 'failures', value: String(failures) },
    { measure: 'p50 / p99 / max ms, whole run', value: `${percentile(all, 0.5).toFixed(0)} / ${percentile(all, 0.99).toFixed(0)} / ${all[all.length - 1]!.toFixed(0)}` },
    { measure: 'p50 / p99 ms after the hang', value: `${percentile(after, 0.5).toFixed(0)} / ${percentile(after, 0.99).toFixed(0)}` },
    { measure: 'sign-ins over 1 s after the first stall (repeated stalls)', value: String(laterStalls) },
    { measure: 'dc1 marked down / operation timeouts logged', value: `${directory.dcStatus()[0]!.failovers} / ${timeouts}` },
  ]);
  summaryRow({ bench: 'dc-hang', measure: `sign-in (directory) c${LOOPS}, one of two DCs hung (SIGSTOP)`, value: `${(samples.length / (RUN_MS / 1000)).toFixed(0)}/s`, p99: `${percentile(all, 0.99).toFixed(0)} ms`, failures: `${failures} / ${samples.length}`, ceiling: 'goal: p99 < 1500 ms, 0 failures', ratio: `${laterStalls} later stalls` });
  await directory.close();
} finally {
  await stopTestBed(dir);
}
