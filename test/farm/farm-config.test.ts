import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryStore } from '../../store/memory.js';
import { FarmConfigError, joinFarm } from '../../sts/farm.js';

const INTERVAL = 1000;
const kek1 = Buffer.alloc(32, 1);
const kek2 = Buffer.alloc(32, 2);
const domains = (...names: string[]) => names.map((name) => ({ name, issuerUri: undefined }));

describe('farm settings check (key-encryption key and domains shared by every node)', () => {
  it('lets nodes with the same settings join and refuses one that differs while a node is live', async () => {
    const store = memoryStore();
    let t = 1_000_000;
    const clock = () => t;
    const first = await joinFarm(store, domains('corp.example.com'), kek1, INTERVAL, clock);
    const second = await joinFarm(store, domains('CORP.example.com'), kek1, INTERVAL, clock);
    await assert.rejects(joinFarm(store, domains('corp.example.com'), kek2, INTERVAL, clock), (err: Error) => err instanceof FarmConfigError && /keyEncryptionKey differs/.test(err.message));
    t += 2.5 * INTERVAL;
    await assert.rejects(joinFarm(store, domains('corp.example.com', 'fabrikam.example.com'), kek1, INTERVAL, clock), /federation\.domains differ/);
    const text = await store.sync.getValue('farm.config');
    assert.ok(text && !text.includes(kek1.toString('base64')) && !text.includes(kek1.toString('hex')), 'the record holds no key');
    await second.stop();
    await first.stop();
  });

  it('replaces the record of a farm no node renewed for three intervals: a full restart with new settings', async () => {
    const store = memoryStore();
    let t = 1_000_000;
    const clock = () => t;
    // A node that died without stopping leaves its record behind.
    await joinFarm(store, domains('corp.example.com'), kek1, INTERVAL, clock);
    t += 3 * INTERVAL;
    const renewed = await joinFarm(store, domains('corp.example.com'), kek2, INTERVAL, clock);
    await assert.rejects(joinFarm(store, domains('corp.example.com'), kek1, INTERVAL, clock), /keyEncryptionKey differs/, 'the new settings are now the farm\'s');
    await renewed.stop();
    assert.equal(await store.sync.getValue('farm.config'), undefined, 'a node stopping cleanly removes its own record');
    await (await joinFarm(store, domains('corp.example.com'), kek1, INTERVAL, clock)).stop();
  });
});
