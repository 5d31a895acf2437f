import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateKey, KeyRefused, promoteKey, retireKey } from '../../keys/lifecycle.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { tempDir } from '../support/tmp.js';

const opts = { kek: Buffer.alloc(32, 4), use: 'signing' as const, subject: 'CN=ADFS Signing - race', validityDays: 60, keyBits: 2048 as const };

describe('certificate state changes from two writers at once', () => {
  it('never leaves two active keys or none: of two promotions racing on one store, one is refused', async () => {
    const path = join(await tempDir(), 'race.db');
    const [a, b] = [sqliteStore(path), sqliteStore(path)];
    try {
      const active = await generateKey(a, opts, 'active');
      const next = await generateKey(a, opts, 'next');
      const previous = await generateKey(a, opts, 'retired');
      await a.keys.setStatus(previous.id, 'previous');
      // The rollover promotes the next key while an operator promotes the previous one.
      const results = await Promise.allSettled([promoteKey(a, next.id), promoteKey(b, previous.id)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results));
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(refused.reason instanceof KeyRefused, String(refused.reason));
      const states = (await a.keys.list('signing')).map((k) => k.status);
      assert.equal(states.filter((s) => s === 'active').length, 1, states.join(','));
      assert.ok(states.includes('previous'));
      assert.notEqual((await a.keys.get(active.id))!.status, 'active');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('does not bring back a key retired while its promotion was under way', async () => {
    const path = join(await tempDir(), 'retire.db');
    const [a, b] = [sqliteStore(path), sqliteStore(path)];
    try {
      await generateKey(a, opts, 'active');
      const next = await generateKey(a, opts, 'next');
      const results = await Promise.allSettled([retireKey(b, next.id), promoteKey(a, next.id)]);
      const status = (await a.keys.get(next.id))!.status;
      // Whichever came first wins whole; the audit of the other is not written.
      if (status === 'retired') assert.equal(results[1].status, 'rejected');
      else assert.equal(results[0].status, 'rejected', `${status}: ${JSON.stringify(results)}`);
      assert.equal((await a.keys.list('signing')).filter((k) => k.status === 'active').length, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
