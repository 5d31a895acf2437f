import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Audit } from '../../health/audit.js';
import { createLogger } from '../../health/log.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { startTestGatehouse } from '../support/gatehouse.js';
import { tempDir } from '../support/tmp.js';
import { Writable } from 'node:stream';

const quiet = () => createLogger('info', new Writable({ write: (_chunk, _enc, done) => done() }));

describe('audit events are written off the answer path, and none is lost at shutdown', () => {
  it('queues events: record returns before the store has them, flush writes all of them in order', async () => {
    const store = sqliteStore(join(await tempDir(), 'audit.db'));
    try {
      const audit = new Audit(store.audit, quiet(), Buffer.alloc(32, 1), ['corp.example.com']);
      for (let i = 0; i < 300; i++) await audit.record({ type: 'signin', outcome: 'success', user: `u${i}@corp.example.com` });
      assert.equal((await store.audit.recent(1000)).length, 0, 'no store write happened while the callers were answered');
      await audit.flush();
      const stored = await store.audit.recent(1000);
      assert.equal(stored.length, 300);
      assert.deepEqual(stored.map((e) => e.user).reverse(), Array.from({ length: 300 }, (_, i) => `u${i}@corp.example.com`));
    } finally {
      await store.close();
    }
  });

  it('writes the events still queued when the server stops into the store before it closes', async () => {
    const gh = await startTestGatehouse({ directory: { users: [] } });
    for (let i = 0; i < 50; i++) void gh.runtime.audit.record({ type: 'request.rejected', outcome: 'failure', reason: `shutdown-${i}` });
    await gh.stop({ keepFiles: true });
    const store = sqliteStore(gh.config.store.sqlitePath);
    try {
      const reasons = (await store.audit.recent(100, { type: 'request.rejected' })).map((e) => e.reason);
      assert.equal(reasons.filter((r) => r?.startsWith('shutdown-')).length, 50);
    } finally {
      await store.close();
      await rm(gh.dir, { recursive: true, force: true });
    }
  });
});
