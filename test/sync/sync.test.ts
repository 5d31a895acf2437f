import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { guidFromBytes, immutableIdFromBytes } from '../../directory/guid.js';
import { memoryStore } from '../../store/memory.js';
import type { User } from '../entra/tenant.js';
import { addGroup, addUser, graphWrites, makeEngine, members, replace, restoreTombstone, syncWorld, type SyncWorld } from './helpers.js';

describe('sync AD → Entra (Samba + Entra double)', () => {
  let w: SyncWorld;
  let e: ReturnType<typeof makeEngine>;
  const audit = memoryStore();
  const dn: Record<string, string> = {};
  before(async () => {
    w = await syncWorld('SyncMain');
    dn.ann = await addUser(w.ad, w.ou, 'sync-ann', { attrs: { givenName: 'Ann', sn: 'Ames', department: 'Ops', title: 'Lead' } });
    dn.ben = await addUser(w.ad, w.ou, 'sync-ben', { disabled: true });
    dn.cyd = await addUser(w.ad, w.ou, 'sync-cyd', { upnSuffix: 'fabrikam.example.com' });
    dn.staff = await addGroup(w.ad, w.ou, 'sync-staff', [dn.ann, dn.ben]);
    dn.all = await addGroup(w.ad, w.ou, 'sync-all', [dn.staff, dn.cyd]);
    e = makeEngine(w, { audit: audit.audit });
  });
  after(async () => {
    await e.close();
    await w.close();
  });

  const immutableIdOf = async (objectDn: string) => {
    const { searchEntries } = await w.ad.search(objectDn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
    return immutableIdFromBytes(searchEntries[0]!.objectGUID as Buffer);
  };
  const entraUser = async (objectDn: string): Promise<User | undefined> => w.double.tenant.findUserByImmutableId(await immutableIdOf(objectDn));
  const groupNamed = (name: string) => [...w.double.tenant.groups.values()].find((g) => g.displayName === name);
  const memberNames = (name: string) => [...(groupNamed(name)?.members ?? [])]
    .map((id) => w.double.tenant.users.get(id)?.userPrincipalName ?? w.double.tenant.groups.get(id)?.displayName).sort();

  it('creates exactly the users, groups and memberships of the scope, with the ImmutableID of objectGUID', async () => {
    const report = await e.engine.run();
    assert.equal(report.run.outcome, 'success', JSON.stringify(report.errors));
    assert.equal(report.run.mode, 'full');
    const users = [...w.double.tenant.users.values()];
    assert.deepEqual(users.map((u) => u.userPrincipalName).sort(), ['sync-ann@corp.example.com', 'sync-ben@corp.example.com', 'sync-cyd@contosotest.onmicrosoft.com']);
    const ann = await entraUser(dn.ann!);
    assert.equal(ann?.displayName, 'User sync-ann');
    assert.equal(ann?.givenName, 'Ann');
    assert.equal(ann?.surname, 'Ames');
    assert.equal(ann?.department, 'Ops');
    assert.equal(ann?.jobTitle, 'Lead');
    assert.equal(ann?.accountEnabled, true);
    assert.equal((await entraUser(dn.ben!))?.accountEnabled, false);
    assert.deepEqual(report.upnFallbacks.map((f) => f.upn), ['sync-cyd@fabrikam.example.com']);
    assert.equal(w.double.tenant.groups.size, 2);
    assert.deepEqual(memberNames('sync-staff'), ['sync-ann@corp.example.com', 'sync-ben@corp.example.com']);
    assert.deepEqual(memberNames('sync-all'), ['sync-cyd@contosotest.onmicrosoft.com', 'sync-staff']);
    const [event] = await audit.audit.recent(5, { type: 'sync.run' });
    assert.deepEqual([event?.outcome, event?.details?.runId, event?.details?.mode, event?.details?.outcome, event?.details?.created], ['success', report.run.id, 'full', 'success', report.run.counts.created], 'the run is audited');
  });

  it('writes nothing on a second run, delta or full', async () => {
    const before = graphWrites(w.double);
    assert.equal((await e.engine.run()).run.mode, 'delta');
    await e.engine.run({ full: true });
    assert.equal(graphWrites(w.double), before);
  });

  it('shows a rename after one delta run', async () => {
    await replace(w.ad, dn.ann!, 'displayName', ['Ann Renamed']);
    await w.ad.modifyDN(dn.ann!, `CN=sync-ann2,${w.ou}`);
    dn.ann = `CN=sync-ann2,${w.ou}`;
    await replace(w.ad, dn.ann, 'userPrincipalName', ['sync-ann2@corp.example.com']);
    const r = await e.engine.run();
    assert.equal(r.run.outcome, 'success');
    const ann = await entraUser(dn.ann);
    assert.equal(ann?.displayName, 'Ann Renamed');
    assert.equal(ann?.userPrincipalName, 'sync-ann2@corp.example.com');
    assert.deepEqual(memberNames('sync-staff'), ['sync-ann2@corp.example.com', 'sync-ben@corp.example.com']);
  });

  it('shows a disable after one delta run', async () => {
    await replace(w.ad, dn.ann!, 'userAccountControl', [String(0x200 | 0x20 | 0x2)]);
    await e.engine.run();
    assert.equal((await entraUser(dn.ann!))?.accountEnabled, false);
  });

  it('shows a membership change after one delta run', async () => {
    await members(w.ad, dn.staff!, 'delete', [dn.ben!]);
    await members(w.ad, dn.staff!, 'add', [dn.cyd!]);
    await e.engine.run();
    assert.deepEqual(memberNames('sync-staff'), ['sync-ann2@corp.example.com', 'sync-cyd@contosotest.onmicrosoft.com']);
  });

  it('soft-deletes a user moved out of scope after one delta run', async () => {
    const id = (await entraUser(dn.cyd!))!.id;
    const elsewhere = `CN=sync-cyd,CN=Users,${w.bed.baseDn}`;
    await w.ad.modifyDN(dn.cyd!, elsewhere);
    dn.cyd = elsewhere;
    await e.engine.run();
    assert.equal(w.double.tenant.users.has(id), false);
    assert.equal(w.double.tenant.deletedUsers.has(id), true);
    assert.deepEqual(memberNames('sync-all'), ['sync-staff']);
  });

  it('soft-deletes a deleted user and restores the same Entra user when AD restores it', async () => {
    const immutableId = await immutableIdOf(dn.ben!);
    const id = w.double.tenant.findUserByImmutableId(immutableId)!.id;
    const guid = Buffer.from(immutableId, 'base64');
    await w.ad.del(dn.ben!);
    await e.engine.run();
    assert.equal(w.double.tenant.deletedUsers.has(id), true);
    await restoreTombstone(w.ad, w.bed.baseDn, guid, dn.ben!);
    assert.equal(await immutableIdOf(dn.ben!), immutableId);
    const r = await e.engine.run();
    assert.equal(r.run.outcome, 'success', JSON.stringify(r.errors));
    assert.equal(w.double.tenant.users.get(id)?.onPremisesImmutableId, immutableId);
    assert.equal(w.double.tenant.deletedUsers.has(id), false);
  });

  it('staging mode imports and plans but writes nothing', async () => {
    const staged = makeEngine(w, { store: e.store, settings: { staging: true } });
    try {
      await replace(w.ad, dn.ann!, 'department', ['Staged']);
      const before = graphWrites(w.double);
      const r = await staged.engine.run();
      assert.equal(r.run.outcome, 'staged');
      assert.equal(r.pending.updates, 1);
      assert.equal(graphWrites(w.double), before);
      assert.equal((await entraUser(dn.ann!))?.department, 'Ops');
      assert.equal((await e.engine.run()).run.outcome, 'success');
      assert.equal((await entraUser(dn.ann!))?.department, 'Staged');
    } finally {
      await staged.close();
    }
  });

  it('hard-matches an Entra user that already has the ImmutableID instead of creating a second one', async () => {
    const dave = await addUser(w.ad, w.ou, 'sync-dave');
    const immutableId = await immutableIdOf(dave);
    const cloud = w.double.tenant.addUser({ userPrincipalName: 'dave.cloud@corp.example.com', onPremisesImmutableId: immutableId });
    await e.engine.run();
    const all = [...w.double.tenant.users.values()].filter((u) => u.onPremisesImmutableId === immutableId);
    assert.deepEqual(all.map((u) => u.id), [cloud.id]);
    assert.equal(cloud.userPrincipalName, 'sync-dave@corp.example.com');
    assert.equal(guidFromBytes(Buffer.from(immutableId, 'base64')).length, 36);
  });

  it('soft-matches a cloud-only user by UPN and gives it the ImmutableID', async () => {
    const cloud = w.double.tenant.addUser({ userPrincipalName: 'sync-erin@corp.example.com' });
    const erin = await addUser(w.ad, w.ou, 'sync-erin');
    await e.engine.run();
    assert.equal(cloud.onPremisesImmutableId, await immutableIdOf(erin));
    assert.equal([...w.double.tenant.users.values()].filter((u) => u.userPrincipalName === 'sync-erin@corp.example.com').length, 1);
  });

  it('reports a per-object error (UPN taken) without stopping the rest, and retries it next run', async () => {
    const squatter = w.double.tenant.addUser({ userPrincipalName: 'sync-fay@corp.example.com', onPremisesImmutableId: 'c3F1YXR0ZXI=' });
    await addUser(w.ad, w.ou, 'sync-fay');
    const gus = await addUser(w.ad, w.ou, 'sync-gus');
    const r = await e.engine.run();
    assert.equal(r.run.outcome, 'partial');
    assert.deepEqual(r.errors.map((x) => [x.op, x.dn]), [['create', `CN=sync-fay,${w.ou}`]]);
    assert.ok(await entraUser(gus));
    w.double.tenant.deleteObject('user', squatter.id);
    const again = await e.engine.run();
    assert.equal(again.run.outcome, 'success');
    assert.deepEqual(again.errors, []);
    assert.ok(await entraUser(`CN=sync-fay,${w.ou}`));
  });

  it('rides out throttling of whole batches and of single batch items', async () => {
    w.double.faults.throttle({ path: '/v1.0/$batch', scope: 'request', count: 2, retryAfterSeconds: 0 });
    w.double.faults.throttle({ scope: 'batch-item', count: 3, retryAfterSeconds: 0 });
    w.double.faults.unavailable({ path: '/v1.0/$batch', scope: 'request', count: 1 });
    const hal = await addUser(w.ad, w.ou, 'sync-hal');
    await members(w.ad, dn.all!, 'add', [hal]);
    const r = await e.engine.run();
    assert.equal(r.run.outcome, 'success', JSON.stringify(r.errors));
    assert.ok(memberNames('sync-all').includes('sync-hal@corp.example.com'));
  });
});
