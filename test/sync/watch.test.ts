import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { immutableIdFromBytes } from '../../directory/guid.js';
import { runSyncLoop } from '../../sync/loop.js';
import { addUser, gatehouse, makeEngine, replace, syncWorld, writeSyncConfig, type SyncWorld } from './helpers.js';

/** Polls a change may take to reach Entra: the one in flight when it was made, and the next. */
const MAX_POLLS = 3;

describe('sync watch mode (DirSync polling)', () => {
  let w: SyncWorld;
  let dir: string;
  const immutableIdOf = async (dn: string) => {
    const { searchEntries } = await w.ad.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
    return immutableIdFromBytes(searchEntries[0]!.objectGUID as Buffer);
  };
  before(async () => {
    w = await syncWorld('SyncWatch');
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-sync-watch-'));
  });
  after(async () => {
    await w.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports a change made in AD within a few polls, records no run for quiet polls, and stops cleanly', async () => {
    const dn = await addUser(w.ad, w.ou, `watch-wes${w.tag}`, { attrs: { department: 'Before' } });
    const immutableId = await immutableIdOf(dn);
    const e = makeEngine(w);
    try {
      await e.engine.run();
      assert.equal(w.double.tenant.findUserByImmutableId(immutableId)?.department, 'Before');

      const stop = new AbortController();
      let changedAtTick: number | undefined;
      let seenAfterPolls: number | undefined;
      let ticks = 0;
      const failures: Error[] = [];
      const loop = runSyncLoop(e.engine, {
        mode: 'watch', intervalMs: 200, signal: stop.signal,
        onError: (err) => failures.push(err),
        onTick: (tick) => {
          ticks = tick;
          if (changedAtTick === undefined) return;
          if (w.double.tenant.findUserByImmutableId(immutableId)?.department === 'Watched') seenAfterPolls ??= tick - changedAtTick;
          if (seenAfterPolls !== undefined || tick - changedAtTick >= MAX_POLLS) stop.abort();
        },
      });
      // Quiet polls first: they must not count as runs, even while AD changes outside the scope
      // (DirSync reports the whole domain; tests sharing the DC make such changes all the time).
      while (ticks < 2) await new Promise((r) => setTimeout(r, 50));
      const stray = await addUser(w.ad, `OU=People,OU=Gatehouse,${w.bed.baseDn}`, `stray${w.tag}`);
      await w.ad.del(stray);
      const afterStray = ticks;
      while (ticks < afterStray + 2) await new Promise((r) => setTimeout(r, 50));
      changedAtTick = ticks;
      await replace(w.ad, dn, 'department', ['Watched']);
      const result = await loop;

      assert.deepEqual(failures, []);
      assert.ok(seenAfterPolls !== undefined, `the change did not reach Entra within ${MAX_POLLS} polls`);
      assert.equal(result.runs, 1, 'only the poll that found the change ran an export');
      assert.ok(result.ticks >= 3);
      const runs = await e.store.recentRuns(10);
      assert.equal(runs.length, 2, 'the first full run and the one watch run');
      assert.equal(runs[0]?.mode, 'delta');
      assert.equal(runs[0]?.outcome, 'success');
      assert.equal(await e.store.getLease('sync.run'), undefined, 'the lease is released once the loop stops');
    } finally {
      await e.close();
    }
  });

  it('runs as `gatehouse sync watch`, prints progress as JSON lines when not on a terminal, and exits 0 on SIGTERM', async () => {
    const dn = await addUser(w.ad, w.ou, `watch-cli${w.tag}`, { attrs: { title: 'Before' } });
    const immutableId = await immutableIdOf(dn);
    const config = await writeSyncConfig(w, dir);
    const child = gatehouse(['sync', 'watch', '--interval', '1', '--json', '-c', config]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (what: string, test: () => boolean) => {
      // A bound, not a timing assertion: a watch that never delivers fails here instead of hanging.
      for (let i = 0; i < 600 && !test(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(test(), `${what}; stdout: ${stdout} stderr: ${stderr}`);
    };
    try {
      await until('the first (full) run did not finish', () => w.double.tenant.findUserByImmutableId(immutableId) !== undefined && stdout.includes('"phase":"done"'));
      await replace(w.ad, dn, 'title', ['Watched from the CLI']);
      await until('the change did not reach Entra', () => w.double.tenant.findUserByImmutableId(immutableId)?.jobTitle === 'Watched from the CLI');
      await until('the watch run did not report', () => stdout.split('\n').filter((l) => l.includes('"run":')).length >= 2);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);

    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const progress = lines.filter((l) => 'phase' in l);
    const reports = lines.filter((l) => 'run' in l);
    assert.equal(progress.length + reports.length, lines.length, 'every stdout line is a progress line or a report');
    for (const p of progress) {
      assert.ok(['import', 'plan', 'export', 'done'].includes(p.phase as string), JSON.stringify(p));
      assert.ok(!Number.isNaN(Date.parse(p.at as string)), JSON.stringify(p));
      for (const n of ['done', 'total', 'perSecond'] as const) if (n in p) assert.equal(typeof p[n], 'number', JSON.stringify(p));
    }
    const exports = progress.filter((p) => p.phase === 'export');
    assert.ok(exports.length > 0);
    assert.ok(exports.every((p) => typeof p.done === 'number' && typeof p.total === 'number' && typeof p.perSecond === 'number'));
    assert.deepEqual(progress.filter((p) => p.phase === 'done').map((p) => p.message), ['success', 'success']);
    assert.deepEqual(reports.map((r) => (r.run as { mode: string }).mode), ['full', 'delta']);
  });
});
