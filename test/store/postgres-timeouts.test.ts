import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresStore } from '../../store/postgres/index.js';
import { StoreUnavailableError } from '../../store/types.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

describe('postgres store time limits', () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg?.stop());

  it('cuts a statement that outlasts statementTimeoutMs, as unavailable, and the pool serves the next one', async () => {
    const s = postgresStore({ url: pg.url, poolSize: 1, statementTimeoutMs: 200, connectTimeoutMs: 1000, migrate: true });
    await s.counters.increment('k', 60_000);
    const started = Date.now();
    await assert.rejects(s.db.query('SELECT pg_sleep(3)'), (err: unknown) => err instanceof StoreUnavailableError && /statement timeout/.test(err.message));
    assert.ok(Date.now() - started < 1500, `cut after ${Date.now() - started} ms`);
    assert.equal(await s.counters.get('k'), 1, 'the one connection is usable again');
    await s.close();
  });

  it('waits for a lease row another node locks only up to the statement limit, and takes no lease meanwhile', async () => {
    const s = postgresStore({ url: pg.url, poolSize: 2, statementTimeoutMs: 300, connectTimeoutMs: 1000, migrate: true });
    const now = new Date();
    assert.ok(await s.sync.acquireLease('l', 'h1', new Date(now.getTime() - 1), now));
    const other = await s.pool.connect();
    try {
      // Another node in the middle of its own lease transaction holds the row lock.
      await other.query('BEGIN');
      await other.query("SELECT * FROM sync_leases WHERE name = 'l' FOR UPDATE");
      await assert.rejects(s.sync.acquireLease('l', 'h2', new Date(now.getTime() + 60_000), now), StoreUnavailableError);
      await other.query('ROLLBACK');
    } finally {
      other.release();
    }
    assert.equal((await s.sync.getLease('l'))?.holder, 'h1');
    assert.ok(await s.sync.acquireLease('l', 'h2', new Date(now.getTime() + 60_000), now), 'free (expired) once the lock is gone');
    await s.close();
  });
});
