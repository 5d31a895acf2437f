import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateKey, KeyRefused, promoteKey, retireKey } from '../../keys/lifecycle.js';
import { Rollover, type EntraCertificates } from '../../keys/rollover.js';
import { memoryStore } from '../../store/memory.js';
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

describe('a due promotion that has to wait', () => {
  it('waits while Entra cannot be asked, audits that once, carries on with the rest, and promotes once Entra knows the certificate', async () => {
    const store = memoryStore();
    let offset = 0;
    const now = () => new Date(Date.now() + offset);
    let entraUp = false;
    let knownCert: string | undefined;
    const entra: EntraCertificates = {
      async accepted() {
        if (!entraUp) throw new Error('Graph 503 Service Unavailable');
        return [{ domain: 'corp.example.com', certificates: knownCert ? [knownCert] : [] }];
      },
      async publish() {
        if (!entraUp) throw new Error('Graph 503 Service Unavailable');
      },
    };
    const rollover = new Rollover({
      store,
      entra: { kind: 'graph', entra },
      now,
      policy: { autoRollover: true, generateDaysBeforeExpiry: 20, promoteDaysAfterGeneration: 5, generate: { kek: opts.kek, validityDays: 60, keyBits: 2048 }, subject: (use) => `CN=${use}` },
    });
    await generateKey(store, opts, 'active');
    await generateKey(store, { ...opts, use: 'decrypting' }, 'active');
    offset = 41 * 86_400_000;
    await rollover.tick();
    offset = 47 * 86_400_000;
    for (let i = 0; i < 5; i++) await rollover.tick();
    const waits = (await store.audit.recent(50, { type: 'key.promotion-waiting' }));
    assert.equal(waits.length, 1, `one audit event for a wait that lasts: ${JSON.stringify(waits.map((w) => [w.reason, w.details]))}`);
    assert.match(waits[0]!.reason ?? '', /^Entra could not be asked: Graph 503/);
    const decrypting = await store.keys.list('decrypting');
    assert.deepEqual(decrypting.map((k) => k.status).sort(), ['active', 'previous'], 'the decrypting certificate rolled over meanwhile');
    assert.equal(decrypting.find((k) => k.status === 'active')!.origin, 'generated');

    entraUp = true;
    await rollover.tick();
    assert.equal((await store.keys.list('signing')).find((k) => k.status === 'next') !== undefined, true, 'Entra is up but does not know it yet: still next');
    const next = (await store.keys.list('signing')).find((k) => k.status === 'next')!;
    knownCert = next.certificateDer.toString('base64');
    await rollover.tick();
    assert.equal((await store.keys.get(next.id))!.status, 'active');
  });
});
