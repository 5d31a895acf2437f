import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresStore } from '../../store/postgres/index.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { Store } from '../../store/types.js';
import type { SyncReport } from '../../sync/engine.js';
import { SYNC_LEASE, SyncBusyError } from '../../sync/lease.js';
import { runSyncLoop } from '../../sync/loop.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { addUser, makeEngine, replace, syncWorld, type SyncWorld } from './helpers.js';

for (const kind of ['sqlite', 'postgres'] as const) describe(`sync scheduler and the one-run-per-store lease (${kind})`, () => {
  let w: SyncWorld;
  let dir: string;
  let pg: TestPostgres | undefined;
  let storeA: Store;
  let storeB: Store;
  before(async () => {
    w = await syncWorld(`SyncSched${kind}`);
    await addUser(w.ad, w.ou, `sched-sam${w.tag}`);
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-sync-sched-'));
    if (kind === 'sqlite') {
      // Two connections to one SQLite file: what two gatehouse processes on one node share.
      storeA = sqliteStore(join(dir, 'state.db'));
      storeB = sqliteStore(join(dir, 'state.db'));
    } else {
      // Two pools on one database: two nodes of a farm.
      pg = await startPostgres();
      const options = { url: pg.url, poolSize: 4, statementTimeoutMs: 5000, connectTimeoutMs: 2000, migrate: true };
      storeA = postgresStore(options);
      storeB = postgresStore(options);
    }
  });
  after(async () => {
    await storeA.close();
    await storeB.close();
    await pg?.stop();
    await w.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs on every tick, and another engine on the same store is refused while a run is in progress', async () => {
    const refusals: unknown[] = [];
    const overlapping: Promise<unknown>[] = [];
    let b: ReturnType<typeof makeEngine> | undefined;
    const a = makeEngine(w, {
      store: storeA.sync,
      // While A is inside a run (importing), B tries to start one: the lease must turn it away.
      onProgress: (p) => {
        if (p.phase === 'import' && b) overlapping.push(b.engine.run().then(() => 'ran', (err: unknown) => refusals.push(err)));
      },
    });
    b = makeEngine(w, { store: storeB.sync });
    try {
      const stop = new AbortController();
      const reports: SyncReport[] = [];
      const result = await runSyncLoop(a.engine, {
        mode: 'schedule', intervalMs: 300, signal: stop.signal,
        onReport: (r) => {
          reports.push(r);
          if (reports.length === 2) stop.abort();
        },
        onError: (err) => {
          stop.abort();
          throw err;
        },
      });
      const outcomes = await Promise.all(overlapping);
      assert.equal(result.runs, 2);
      assert.deepEqual(reports.map((r) => [r.run.mode, r.run.outcome]), [['full', 'success'], ['delta', 'success']]);
      assert.equal(outcomes.length, 2, 'B tried once during each of A\'s runs');
      assert.ok(outcomes.every((o) => o !== 'ran'), 'B never ran while A held the store');
      assert.equal(refusals.length, 2);
      assert.ok(refusals.every((e) => e instanceof SyncBusyError));

      const runs = (await storeB.sync.recentRuns(10)).reverse();
      assert.equal(runs.length, 2, 'the refused runs left no run record');
      for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.startedAt >= runs[i - 1]!.finishedAt!, 'runs never overlap');

      // Once A's loop has stopped, the lease is free and B runs.
      assert.equal((await b.engine.run()).run.outcome, 'success');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses while a live holder elsewhere has the lease, and takes over one left by a dead process on this host', async () => {
    const e = makeEngine(w, { store: storeA.sync });
    try {
      const now = new Date();
      assert.ok(await storeA.sync.acquireLease(SYNC_LEASE, 'other-node:4242:x', new Date(now.getTime() + 60_000), now));
      await assert.rejects(e.engine.run(), SyncBusyError);
      await storeA.sync.releaseLease(SYNC_LEASE, 'other-node:4242:x');

      // A process that has exited: its pid names no live process (a killed `gatehouse sync run`).
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      const deadHolder = `${hostname()}:${dead}:y`;
      assert.ok(await storeA.sync.acquireLease(SYNC_LEASE, deadHolder, new Date(now.getTime() + 60_000), now));
      await replace(w.ad, `CN=sched-sam${w.tag},${w.ou}`, 'department', ['After takeover']);
      assert.equal((await e.engine.run()).run.outcome, 'success');
      assert.equal([...w.double.tenant.users.values()].find((u) => u.userPrincipalName.startsWith(`sched-sam${w.tag}@`))?.department, 'After takeover');
      assert.equal(await storeA.sync.getLease(SYNC_LEASE), undefined);
    } finally {
      await e.close();
    }
  });

  it('takes an expired lease and renews its own', async () => {
    const t0 = new Date();
    const later = new Date(t0.getTime() + 1000);
    assert.ok(await storeB.sync.acquireLease('test.lease', 'h1', later, t0));
    assert.equal(await storeB.sync.acquireLease('test.lease', 'h2', new Date(later.getTime() + 1000), t0), false, 'held and unexpired');
    assert.ok(await storeB.sync.acquireLease('test.lease', 'h1', new Date(later.getTime() + 5000), t0), 'renewal by its holder');
    assert.ok(await storeA.sync.acquireLease('test.lease', 'h2', new Date(later.getTime() + 9000), new Date(later.getTime() + 5000)), 'expired');
    assert.equal((await storeB.sync.getLease('test.lease'))?.holder, 'h2');
    await storeB.sync.releaseLease('test.lease', 'h1');
    assert.equal((await storeA.sync.getLease('test.lease'))?.holder, 'h2', 'only the holder releases');
  });
});
