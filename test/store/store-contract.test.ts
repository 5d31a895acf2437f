import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { memoryStore } from '../../store/memory.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { KeyRecord, Store } from '../../store/types.js';
import { tempDir } from '../support/tmp.js';

const adapters: [string, () => Promise<Store>][] = [
  ['memory', async () => memoryStore()],
  ['sqlite', async () => sqliteStore(join(await tempDir(), 'g.db'))],
];

const key = (id: string, createdAt: number): KeyRecord => ({
  id,
  use: 'signing',
  status: 'active',
  certificateDer: Buffer.from([1, 2, 3]),
  sealedPrivateKey: Buffer.from([4, 5]),
  notBefore: new Date(0),
  notAfter: new Date(10_000),
  createdAt: new Date(createdAt),
});

for (const [name, open] of adapters) {
  describe(`${name} store`, () => {
    it('returns audit events newest first, filtered by type and user', async () => {
      const s = await open();
      await s.audit.append({ at: new Date(1), type: 'signin', outcome: 'failure', user: 'alice', reason: 'bad-password', details: { rp: 'x', n: 1 } });
      await s.audit.append({ at: new Date(2), type: 'signin', outcome: 'success', user: 'bob' });
      await s.audit.append({ at: new Date(3), type: 'key.generated', outcome: 'success' });
      assert.deepEqual((await s.audit.recent(10)).map((e) => e.type), ['key.generated', 'signin', 'signin']);
      const alice = await s.audit.recent(10, { user: 'alice' });
      assert.equal(alice.length, 1);
      assert.equal(alice[0]!.reason, 'bad-password');
      assert.deepEqual(alice[0]!.details, { rp: 'x', n: 1 });
      assert.equal((await s.audit.recent(1, { type: 'signin' }))[0]!.user, 'bob');
      await s.close();
    });

    it('stores keys with their status and lists them oldest first', async () => {
      const s = await open();
      await s.keys.put(key('B', 2));
      await s.keys.put(key('A', 1));
      await s.keys.setStatus('B', 'next');
      assert.deepEqual((await s.keys.list('signing')).map((k) => [k.id, k.status]), [['A', 'active'], ['B', 'next']]);
      assert.deepEqual((await s.keys.get('A'))!.certificateDer, Buffer.from([1, 2, 3]));
      assert.equal((await s.keys.list('decrypting')).length, 0);
      await assert.rejects(s.keys.setStatus('missing', 'retired'));
      await s.close();
    });

    it('expires sessions and deletes them on sign-out', async () => {
      const s = await open();
      const now = new Date(1_000_000);
      await s.sessions.create({ id: 's1', user: 'alice', createdAt: now, expiresAt: new Date(now.getTime() + 1000), data: { rps: ['a'] } });
      assert.deepEqual((await s.sessions.get('s1', now))!.data, { rps: ['a'] });
      await s.sessions.update('s1', { rps: ['a', 'b'] });
      assert.deepEqual((await s.sessions.get('s1', now))!.data, { rps: ['a', 'b'] });
      assert.equal(await s.sessions.get('s1', new Date(now.getTime() + 1000)), undefined);
      assert.equal(await s.sessions.deleteExpired(new Date(now.getTime() + 2000)), 1);
      await s.sessions.create({ id: 's2', user: 'alice', createdAt: now, expiresAt: new Date(now.getTime() + 1000), data: {} });
      await s.sessions.delete('s2');
      assert.equal(await s.sessions.get('s2', now), undefined);
      await s.close();
    });

    it('counts within a window and starts again after it', async () => {
      const s = await open();
      const t0 = new Date(5_000);
      assert.equal(await s.counters.increment('lock:alice', 1000, 1, t0), 1);
      assert.equal(await s.counters.increment('lock:alice', 1000, 2, new Date(5_500)), 3);
      assert.equal(await s.counters.get('lock:alice', new Date(5_999)), 3);
      assert.equal(await s.counters.get('lock:alice', new Date(6_000)), 0);
      assert.equal(await s.counters.increment('lock:alice', 1000, 1, new Date(6_000)), 1);
      await s.counters.reset('lock:alice');
      assert.equal(await s.counters.get('lock:alice', new Date(6_001)), 0);
      await s.close();
    });

    it('accepts a one-time key once until it expires', async () => {
      const s = await open();
      const now = new Date(10_000);
      assert.equal(await s.counters.useOnce('nonce:1', new Date(11_000), now), true);
      assert.equal(await s.counters.useOnce('nonce:1', new Date(11_000), new Date(10_500)), false);
      assert.equal(await s.counters.useOnce('nonce:1', new Date(12_000), new Date(11_000)), true);
      await s.close();
    });
  });
}

describe('sqlite store', () => {
  it('keeps data across reopening and does not re-run migrations', async () => {
    const file = join(await tempDir(), 'persist.db');
    const a = sqliteStore(file);
    await a.audit.append({ at: new Date(1), type: 't', outcome: 'success' });
    await a.close();
    const b = sqliteStore(file);
    assert.equal((await b.audit.recent(5)).length, 1);
    await b.close();
  });
});
