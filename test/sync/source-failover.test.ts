import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { immutableIdFromBytes } from '../../directory/guid.js';
import { addUser, makeEngine, replace, syncWorld, type SyncWorld } from './helpers.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve(typeof address === 'object' && address ? address.port : 0);
  }));
}

// The sync reader connects through the same DC pool as sign-in (directory/pool.ts), bound as the
// sync account: a DC that refuses or hangs is skipped and marked down, as for sign-in.
describe('sync source reader failover between DCs', () => {
  let w: SyncWorld;
  let hanging: Server;
  const held: Socket[] = [];
  let refused = '';
  let silent = '';
  before(async () => {
    w = await syncWorld('SyncFailover');
    hanging = createServer((socket) => { held.push(socket); });
    silent = `ldaps://127.0.0.1:${await listen(hanging)}`;
    const probe = createServer();
    refused = `ldaps://127.0.0.1:${await listen(probe)}`;
    await new Promise((resolve) => probe.close(resolve));
  });
  after(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => hanging.close(resolve));
    await w.close();
  });

  it('imports and exports through the next DC when the first refuses and the second hangs, and skips both while they are marked down', async () => {
    const dn = await addUser(w.ad, w.ou, `fo-fern${w.tag}`, { attrs: { department: 'Before' } });
    const { searchEntries } = await w.ad.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
    const immutableId = immutableIdFromBytes(searchEntries[0]!.objectGUID as Buffer);
    const e = makeEngine(w, { dcs: [refused, silent, w.bed.ldapsUrl] });
    try {
      const full = await e.engine.run();
      assert.equal(full.run.outcome, 'success', JSON.stringify(full.errors));
      assert.equal(w.double.tenant.findUserByImmutableId(immutableId)?.department, 'Before');
      const [first, second, third] = e.pool.status();
      assert.equal(first?.failovers, 1);
      assert.equal(second?.failovers, 1);
      assert.ok((first?.downUntil ?? 0) > Date.now() && (second?.downUntil ?? 0) > Date.now(), 'both are marked down for the retry interval');
      assert.equal(third?.failovers, 0);

      await replace(w.ad, dn, 'department', ['After']);
      const delta = await e.engine.run();
      assert.equal(delta.run.mode, 'delta');
      assert.equal(delta.run.outcome, 'success', JSON.stringify(delta.errors));
      assert.equal(w.double.tenant.findUserByImmutableId(immutableId)?.department, 'After');
      assert.deepEqual(e.pool.status().map((dc) => dc.failovers), [1, 1, 0], 'DCs marked down are not tried again');
    } finally {
      await e.close();
    }
  });

  it('fails the run, recorded as failed, naming each DC when none answers', async () => {
    const e = makeEngine(w, { dcs: [refused, silent] });
    try {
      await assert.rejects(e.engine.run(), (err: Error) => /no domain controller answered/.test(err.message) && err.message.includes(refused) && err.message.includes(silent));
      const [run] = await e.store.recentRuns(1);
      assert.equal(run?.outcome, 'failed');
      assert.match(run?.message ?? '', /no domain controller answered/);
    } finally {
      await e.close();
    }
  });
});
