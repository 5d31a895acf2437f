import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { memoryStore } from '../../store/memory.js';
import { postgresStore } from '../../store/postgres/index.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { housekeep } from '../../store/housekeeping.js';
import { migrate } from '../../store/sqlite/migrations.js';
import { KeyConflictError, OidcClientConflictError, StoreUnavailableError, type KeyRecord, type Store, type SyncJournalEntry, type SyncObjectRecord, type SyncRunRecord } from '../../store/types.js';
import { schemaVersion } from '../../store/postgres/migrations.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';

// One PostgreSQL server for the file, one fresh database per store opened (each test starts empty).
let server: Promise<TestPostgres> | undefined;
let databases = 0;
after(async () => (await server)?.stop());
async function freshPostgres(): Promise<string> {
  const pgServer = await (server ??= startPostgres());
  const name = `contract_${++databases}`;
  const admin = new pg.Client({ connectionString: pgServer.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return pgServer.url.replace(/\/gatehouse$/, `/${name}`);
}
const postgresOptions = (url: string, migrate = true) => ({ url, poolSize: 4, statementTimeoutMs: 5000, connectTimeoutMs: 1000, migrate });

const adapters: [string, () => Promise<Store>][] = [
  ['memory', async () => memoryStore()],
  ['sqlite', async () => sqliteStore(join(await tempDir(), 'g.db'))],
  ['postgres', async () => postgresStore(postgresOptions(await freshPostgres()))],
];

const key = (id: string, createdAt: number): KeyRecord => ({
  id,
  use: 'signing',
  status: 'active',
  origin: 'generated',
  certificateDer: Buffer.from([1, 2, 3]),
  sealedPrivateKey: Buffer.from([4, 5]),
  notBefore: new Date(0),
  notAfter: new Date(10_000),
  createdAt: new Date(createdAt),
});

const syncObject = (anchor: string, over: Partial<SyncObjectRecord> = {}): SyncObjectRecord => ({
  anchor, kind: 'user', objectGuid: `guid-${anchor}`, dn: `CN=${anchor},OU=Sync,DC=corp,DC=example,DC=com`,
  desired: { displayName: anchor, accountEnabled: true, department: null }, memberGuids: [],
  entraId: null, exported: null, exportedMembers: [], entraDeleted: false, error: null, ...over,
});
const intent = (id: string, at: number, over: Partial<SyncJournalEntry> = {}): SyncJournalEntry => ({
  id, runId: 'run-1', anchor: 'a', op: 'create', detail: { method: 'POST', url: '/users', mailNickname: 'a' }, at: new Date(at), ...over,
});
const syncRun = (id: string, startedAt: number, over: Partial<SyncRunRecord> = {}): SyncRunRecord => ({
  id, mode: 'delta', startedAt: new Date(startedAt), finishedAt: null, outcome: 'running', counts: {}, ...over,
});
const byAnchor = (records: SyncObjectRecord[]) => [...records].sort((a, b) => a.anchor.localeCompare(b.anchor));

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
      await s.keys.put({ ...key('B', 2), status: 'retired' });
      await s.keys.put(key('A', 1));
      await s.keys.setStatus('B', 'next');
      assert.deepEqual((await s.keys.list('signing')).map((k) => [k.id, k.status]), [['A', 'active'], ['B', 'next']]);
      assert.deepEqual((await s.keys.get('A'))!.certificateDer, Buffer.from([1, 2, 3]));
      assert.equal((await s.keys.list('decrypting')).length, 0);
      await assert.rejects(s.keys.setStatus('missing', 'retired'));
      await s.close();
    });

    it('refuses a key stored twice, and applies several key changes together or not at all', async () => {
      const s = await open();
      await s.keys.put(key('A', 1));
      await s.keys.put({ ...key('B', 2), status: 'next', origin: 'imported' });
      await assert.rejects(s.keys.put({ ...key('A', 3), status: 'retired' }), /already stored/);
      assert.equal((await s.keys.get('A'))!.status, 'active', 'the first record is untouched');
      assert.equal((await s.keys.get('B'))!.origin, 'imported');
      await s.keys.update([{ id: 'A', status: 'previous', sealedPrivateKey: Buffer.from([9]) }, { id: 'B', status: 'active' }]);
      assert.deepEqual((await s.keys.list()).map((k) => [k.id, k.status, [...k.sealedPrivateKey]]), [['A', 'previous', [9]], ['B', 'active', [4, 5]]]);
      await assert.rejects(s.keys.update([{ id: 'A', status: 'retired' }, { id: 'missing', status: 'retired' }]), /no key missing/);
      assert.equal((await s.keys.get('A'))!.status, 'previous', 'nothing of a failed update is applied');
      await s.close();
    });

    it('keeps one active and one next key per use, and applies a change only to a key still in the expected state', async () => {
      const s = await open();
      await s.keys.put(key('A', 1));
      await s.keys.put({ ...key('B', 2), status: 'next' });
      await s.keys.put({ ...key('D', 3), use: 'decrypting' });
      await assert.rejects(s.keys.put({ ...key('C', 4), status: 'active' }), KeyConflictError, 'a second active signing key');
      await assert.rejects(s.keys.put({ ...key('C', 4), status: 'next' }), KeyConflictError, 'a second next signing key');
      await assert.rejects(s.keys.update([{ id: 'B', status: 'active', expect: 'next' }]), KeyConflictError, 'promoted before the old one is demoted');
      // Someone else moved B meanwhile: the promotion read B as next, B is retired now.
      await s.keys.setStatus('B', 'retired');
      await assert.rejects(s.keys.update([{ id: 'A', status: 'previous', expect: 'active' }, { id: 'B', status: 'active', expect: 'next' }]), KeyConflictError);
      assert.deepEqual((await s.keys.list('signing')).map((k) => [k.id, k.status]), [['A', 'active'], ['B', 'retired']], 'nothing applied');
      await s.keys.update([{ id: 'A', status: 'previous', expect: 'active' }, { id: 'B', status: 'active', expect: 'retired' }]);
      assert.deepEqual((await s.keys.list('signing')).map((k) => [k.id, k.status]), [['A', 'previous'], ['B', 'active']]);
      await s.close();
    });

    it('purges expired sessions, counters and replay markers, and keeps the live ones', async () => {
      const s = await open();
      const now = new Date(5_000_000);
      await s.sessions.create({ id: 'old', user: 'a', createdAt: now, expiresAt: new Date(now.getTime() - 1), data: {} });
      await s.sessions.create({ id: 'live', user: 'a', createdAt: now, expiresAt: new Date(now.getTime() + 60_000), data: {} });
      await s.counters.increment('rate:1.2.3.4', 1000, 1, new Date(now.getTime() - 5000));
      await s.counters.useOnce('nonce:old', new Date(now.getTime() - 1), new Date(now.getTime() - 5000));
      await s.counters.increment('rate:5.6.7.8', 60_000, 1, now);
      await s.oidc.upsert({ model: 'AccessToken', id: 'gone', payload: {}, expiresAt: new Date(now.getTime() - 1) });
      await s.oidc.upsert({ model: 'AccessToken', id: 'kept', payload: {}, expiresAt: new Date(now.getTime() + 60_000) });
      assert.deepEqual(await housekeep(s, now), { sessions: 1, counters: 2, activity: 0, oidc: 1, audit: 0 });
      assert.ok(await s.oidc.find('AccessToken', 'kept', now));
      assert.ok(await s.sessions.get('live', now));
      assert.equal(await s.counters.get('rate:5.6.7.8', now), 1);
      assert.deepEqual(await housekeep(s, now), { sessions: 0, counters: 0, activity: 0, oidc: 0, audit: 0 });
      await s.close();
    });

    it('purges audit events older than the retention with the expired sessions, and keeps the newer ones', async () => {
      const s = await open();
      const now = new Date(100 * 86_400_000);
      await s.audit.append({ at: new Date(now.getTime() - 91 * 86_400_000), type: 'signin', outcome: 'failure', user: 'old@corp.example.com' });
      await s.audit.append({ at: new Date(now.getTime() - 89 * 86_400_000), type: 'signin', outcome: 'success', user: 'new@corp.example.com' });
      await s.sessions.create({ id: 'old', user: 'a', createdAt: now, expiresAt: new Date(now.getTime() - 1), data: {} });
      assert.deepEqual(await housekeep(s, now, 90), { sessions: 1, counters: 0, activity: 0, oidc: 0, audit: 1 });
      assert.deepEqual((await s.audit.recent(10)).map((e) => e.user), ['new@corp.example.com']);
      assert.equal(await s.sessions.get('old', new Date(0)), undefined, 'the expired session row is gone, not just hidden');
      await s.close();
    });

    it('searches audit events by user in any case, type, time range and id, newest first within the limit', async () => {
      const s = await open();
      const at = (min: number) => new Date(Date.UTC(2026, 11, 1, 8, min));
      await s.audit.append({ at: at(0), type: 'signin', outcome: 'failure', user: 'Alice@corp.example.com', reason: 'bad-password' });
      await s.audit.append({ at: at(1), type: 'signin', outcome: 'success', user: 'alice@corp.example.com' });
      await s.audit.append({ at: at(2), type: 'token.issued', outcome: 'success', user: 'alice@corp.example.com' });
      await s.audit.append({ at: at(3), type: 'signin', outcome: 'failure', user: 'unresolved:0123456789ab' });
      await s.audit.append({ at: at(4), type: 'signin', outcome: 'success', user: 'bob@corp.example.com' });
      const users = (events: { user?: string | undefined; at: Date }[]) => events.map((e) => `${e.user}@${e.at.getUTCMinutes()}`);
      assert.deepEqual(users(await s.audit.search({ users: ['ALICE@corp.example.com'], limit: 10 })), ['alice@corp.example.com@2', 'alice@corp.example.com@1', 'Alice@corp.example.com@0']);
      assert.deepEqual(users(await s.audit.search({ users: ['alice@corp.example.com', 'unresolved:0123456789ab'], types: ['signin'], limit: 10 })), ['unresolved:0123456789ab@3', 'alice@corp.example.com@1', 'Alice@corp.example.com@0']);
      assert.deepEqual(users(await s.audit.search({ since: at(1), until: at(3), limit: 10 })), ['alice@corp.example.com@2', 'alice@corp.example.com@1'], 'since inclusive, until exclusive');
      assert.deepEqual(users(await s.audit.search({ limit: 2 })), ['bob@corp.example.com@4', 'unresolved:0123456789ab@3']);
      const [third] = await s.audit.search({ since: at(2), until: at(3), limit: 1 });
      assert.deepEqual(users(await s.audit.search({ afterId: third!.id, limit: 10 })), ['bob@corp.example.com@4', 'unresolved:0123456789ab@3']);
      assert.deepEqual(await s.audit.search({ users: ['carol@corp.example.com'], limit: 10 }), []);
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

    it('counts the sessions not yet expired', async () => {
      const s = await open();
      const now = new Date(1_000_000);
      assert.equal(await s.sessions.countActive(now), 0);
      for (const [id, ms] of [['a', 1000], ['b', 5000], ['c', 10]] as const) await s.sessions.create({ id, user: 'alice', createdAt: now, expiresAt: new Date(now.getTime() + ms), data: {} });
      assert.equal(await s.sessions.countActive(now), 3);
      assert.equal(await s.sessions.countActive(new Date(now.getTime() + 10)), 2, 'a session is over at its expiry instant');
      assert.equal(await s.sessions.countActive(new Date(now.getTime() + 2000)), 1);
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

    it('keeps account activity per account, newest first, replacing an entry of the same kind and address', async () => {
      const s = await open();
      const at = (ms: number) => new Date(ms);
      const entry = (kind: 'familiar' | 'failed-unfamiliar', address: string, ms: number) => ({ kind, address, at: at(ms), expiresAt: at(ms + 10_000) });
      await s.activity.put('acct-a', entry('familiar', '192.0.2.1', 1000));
      await s.activity.put('acct-a', entry('failed-unfamiliar', '', 2000));
      await s.activity.put('acct-a', entry('familiar', '192.0.2.2', 3000));
      await s.activity.put('acct-b', entry('familiar', '192.0.2.9', 1000));
      await s.activity.put('acct-a', entry('familiar', '192.0.2.1', 4000));
      assert.deepEqual((await s.activity.list('acct-a', at(4000))).map((e) => [e.kind, e.address, e.at.getTime()]), [
        ['familiar', '192.0.2.1', 4000],
        ['familiar', '192.0.2.2', 3000],
        ['failed-unfamiliar', '', 2000],
      ]);
      assert.equal((await s.activity.list('acct-a', at(12_000))).length, 2, 'entries are not listed once expired');
      await s.activity.remove('acct-a', ['familiar']);
      assert.deepEqual((await s.activity.list('acct-a', at(4000))).map((e) => e.kind), ['failed-unfamiliar']);
      await s.activity.remove('acct-a');
      assert.deepEqual(await s.activity.list('acct-a', at(4000)), []);
      assert.equal((await s.activity.list('acct-b', at(4000))).length, 1, 'another account is untouched');
      assert.equal(await s.activity.deleteExpired(at(11_001)), 1);
      await s.close();
    });

    it('keeps only the newest entries of a kind when told how many, the other kinds untouched', async () => {
      const s = await open();
      await s.activity.put('acct', { kind: 'failed-familiar', address: '', at: new Date(1), expiresAt: new Date(100_000) });
      for (let i = 1; i <= 5; i++) await s.activity.put('acct', { kind: 'familiar', address: `198.51.100.${i}`, at: new Date(i * 1000), expiresAt: new Date(100_000) }, 3);
      const left = await s.activity.list('acct', new Date(10_000));
      assert.deepEqual(left.map((e) => e.address), ['198.51.100.5', '198.51.100.4', '198.51.100.3', '']);
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

    it('keeps sync objects whole (every field, nested values, the error date), independent of the caller\'s copy', async () => {
      const s = await open();
      const group = syncObject('g1', {
        kind: 'group', desired: { displayName: 'Staff', mailEnabled: false, securityEnabled: true }, memberGuids: ['guid-a', 'guid-b'],
        entraId: 'e-g1', exported: { displayName: 'Old' }, exportedMembers: ['a'], entraDeleted: true,
        error: { op: 'update', message: '400 Request_BadRequest: nope', at: new Date(123_456), attempts: 2 },
      });
      const user = syncObject('u1');
      await s.sync.putObjects([group, user]);
      assert.deepEqual(await s.sync.getObject('g1'), group);
      assert.deepEqual(byAnchor(await s.sync.listObjects()), [group, user]);
      assert.equal(await s.sync.getObject('missing'), undefined);
      // Returned records are copies: changing one changes nothing stored.
      const read = (await s.sync.getObject('u1'))!;
      read.memberGuids.push('x');
      (read.desired as Record<string, unknown>).displayName = 'changed';
      assert.deepEqual(await s.sync.getObject('u1'), user);
      user.dn = 'CN=changed-after-put';
      assert.equal((await s.sync.getObject('u1'))?.dn, syncObject('u1').dn);
      await s.close();
    });

    it('replaces sync objects by anchor, deletes the anchors named and ignores unknown ones', async () => {
      const s = await open();
      await s.sync.putObjects([syncObject('a'), syncObject('b'), syncObject('c')]);
      const gone = syncObject('b', { desired: null, entraId: 'e-b', exported: { displayName: 'b' } });
      await s.sync.putObjects([gone]);
      assert.deepEqual(await s.sync.getObject('b'), gone);
      await s.sync.deleteObjects(['a', 'nope']);
      assert.deepEqual(byAnchor(await s.sync.listObjects()).map((r) => r.anchor), ['b', 'c']);
      await s.sync.putObjects([]);
      await s.sync.deleteObjects([]);
      assert.equal((await s.sync.listObjects()).length, 2);
      await s.close();
    });

    it('sets, replaces and clears named sync values', async () => {
      const s = await open();
      assert.equal(await s.sync.getValue('dirsync.cookie'), undefined);
      await s.sync.setValue('dirsync.cookie', 'AAEC');
      await s.sync.setValue('other', 'x');
      await s.sync.setValue('dirsync.cookie', 'AwQF');
      assert.equal(await s.sync.getValue('dirsync.cookie'), 'AwQF');
      await s.sync.setValue('dirsync.cookie', null);
      assert.equal(await s.sync.getValue('dirsync.cookie'), undefined);
      assert.equal(await s.sync.getValue('other'), 'x');
      await s.close();
    });

    it('journals intents, keeps the first of a repeated id and clears only the ids named', async () => {
      const s = await open();
      const first = intent('run-1:1', 1000);
      const second = intent('run-1:2', 2000, { anchor: 'b', op: 'update', detail: { method: 'PATCH', url: '/users/e-b' } });
      const other = intent('run-2:1', 3000, { runId: 'run-2', op: 'delete', detail: {} });
      await s.sync.addIntents([first, second]);
      await s.sync.addIntents([other, intent('run-1:1', 9000, { op: 'restore' })]);
      const listed = await s.sync.listIntents();
      assert.deepEqual([...listed].sort((a, b) => a.id.localeCompare(b.id)), [first, second, other]);
      await s.sync.clearIntents(['run-1:1', 'run-2:1', 'unknown']);
      assert.deepEqual(await s.sync.listIntents(), [second]);
      await s.sync.clearIntents([]);
      assert.equal((await s.sync.listIntents()).length, 1);
      await s.close();
    });

    it('records runs, updates one by id, and lists the newest first up to the limit', async () => {
      const s = await open();
      await s.sync.saveRun(syncRun('r1', 1000));
      await s.sync.saveRun(syncRun('r3', 3000, { mode: 'full' }));
      await s.sync.saveRun(syncRun('r2', 2000));
      const finished = syncRun('r1', 1000, { finishedAt: new Date(1500), outcome: 'partial', counts: { created: 2, errors: 1 }, message: 'one error' });
      await s.sync.saveRun(finished);
      const runs = await s.sync.recentRuns(10);
      assert.deepEqual(runs.map((r) => r.id), ['r3', 'r2', 'r1']);
      assert.deepEqual(runs[2], finished);
      assert.deepEqual(runs[0], syncRun('r3', 3000, { mode: 'full' }));
      assert.deepEqual((await s.sync.recentRuns(2)).map((r) => r.id), ['r3', 'r2']);
      await s.close();
    });

    it('gives a lease to one holder at a time: renewal, expiry, exact take-over and release by the holder only', async () => {
      const s = await open();
      const t = (ms: number) => new Date(10_000 + ms);
      assert.equal(await s.sync.getLease('sync.run'), undefined);
      assert.equal(await s.sync.acquireLease('sync.run', 'h1', t(1000), t(0)), true, 'free');
      assert.deepEqual(await s.sync.getLease('sync.run'), { holder: 'h1', expiresAt: t(1000) });
      assert.equal(await s.sync.acquireLease('sync.run', 'h2', t(2000), t(500)), false, 'held and not expired');
      assert.equal(await s.sync.acquireLease('sync.run', 'h2', t(2000), t(500), 'someone-else'), false, 'take-over names another holder');
      assert.equal(await s.sync.acquireLease('other.lease', 'h2', t(2000), t(500)), true, 'leases are independent by name');
      assert.equal(await s.sync.acquireLease('sync.run', 'h1', t(3000), t(900)), true, 'renewal by the holder');
      assert.deepEqual(await s.sync.getLease('sync.run'), { holder: 'h1', expiresAt: t(3000) });
      assert.equal(await s.sync.acquireLease('sync.run', 'h2', t(4000), t(2999)), false, 'renewed: not expired yet');
      assert.equal(await s.sync.acquireLease('sync.run', 'h2', t(4000), t(2999), 'h1'), true, 'take-over of exactly the holder');
      assert.equal((await s.sync.getLease('sync.run'))?.holder, 'h2');
      assert.equal(await s.sync.acquireLease('sync.run', 'h3', t(5000), t(4000)), true, 'expired at its own expiry instant');
      await s.sync.releaseLease('sync.run', 'h2');
      assert.equal((await s.sync.getLease('sync.run'))?.holder, 'h3', 'only the holder releases');
      await s.sync.releaseLease('sync.run', 'h3');
      assert.equal(await s.sync.getLease('sync.run'), undefined);
      assert.equal((await s.sync.getLease('other.lease'))?.holder, 'h2');
      assert.equal(await s.sync.acquireLease('sync.run', 'h1', t(6000), t(5500)), true, 'free again after release');
      await s.close();
    });

    it('keeps one TOTP enrolment per user, found by objectGUID or by UPN in any case, never overwritten, until deleted', async () => {
      const s = await open();
      const e = { userKey: 'guid-alice', upn: 'alice@corp.example.com', sealedSecret: Buffer.from([9, 8, 7]), lastStep: 100, createdAt: new Date(5000) };
      assert.equal(await s.mfa.getTotp('guid-alice'), undefined);
      assert.equal(await s.mfa.addTotp(e), true);
      assert.deepEqual(await s.mfa.getTotp('guid-alice'), e);
      assert.deepEqual(await s.mfa.findTotpByUpn('Alice@CORP.example.com'), e);
      assert.equal(await s.mfa.addTotp({ ...e, sealedSecret: Buffer.from([1]) }), false, 'a second enrolment does not replace the first');
      assert.deepEqual((await s.mfa.getTotp('guid-alice'))?.sealedSecret, Buffer.from([9, 8, 7]));
      assert.equal(await s.mfa.deleteTotp('guid-alice'), true);
      assert.equal(await s.mfa.deleteTotp('guid-alice'), false);
      assert.equal(await s.mfa.findTotpByUpn('alice@corp.example.com'), undefined);
      await s.close();
    });

    it('accepts a TOTP step only when it is later than the last used one', async () => {
      const s = await open();
      await s.mfa.addTotp({ userKey: 'g', upn: 'u@corp.example.com', sealedSecret: Buffer.from([1]), lastStep: 100, createdAt: new Date(0) });
      assert.equal(await s.mfa.useTotpStep('g', 100), false, 'the step of the enrolment code');
      assert.equal(await s.mfa.useTotpStep('g', 101), true);
      assert.equal(await s.mfa.useTotpStep('g', 101), false, 'the same code again');
      assert.equal(await s.mfa.useTotpStep('g', 99), false, 'an older code');
      assert.equal(await s.mfa.useTotpStep('nobody', 200), false);
      assert.equal((await s.mfa.getTotp('g'))?.lastStep, 101);
      await s.close();
    });

    it('lists TOTP enrolments by UPN and re-seals their secrets all together or not at all', async () => {
      const s = await open();
      const e = (userKey: string, upn: string) => ({ userKey, upn, sealedSecret: Buffer.from(userKey), lastStep: 1, createdAt: new Date(0) });
      await s.mfa.addTotp(e('g2', 'Zoe@corp.example.com'));
      await s.mfa.addTotp(e('g1', 'adam@corp.example.com'));
      assert.deepEqual((await s.mfa.listTotp()).map((t) => t.upn), ['adam@corp.example.com', 'Zoe@corp.example.com']);
      await assert.rejects(s.mfa.resealTotp([{ userKey: 'g1', sealedSecret: Buffer.from('new1') }, { userKey: 'gone', sealedSecret: Buffer.from('x') }]));
      assert.deepEqual((await s.mfa.getTotp('g1'))?.sealedSecret, Buffer.from('g1'), 'nothing changed');
      await s.mfa.resealTotp([{ userKey: 'g1', sealedSecret: Buffer.from('new1') }, { userKey: 'g2', sealedSecret: Buffer.from('new2') }]);
      assert.deepEqual((await s.mfa.listTotp()).map((t) => t.sealedSecret.toString()), ['new1', 'new2']);
      await s.close();
    });

    it('keeps the OpenID provider’s objects by model and id, uid and user code; consumes once; revokes a grant whole; hides expired ones', async () => {
      const s = await open();
      const now = new Date(9_000_000);
      const later = new Date(now.getTime() + 60_000);
      await s.oidc.upsert({ model: 'AuthorizationCode', id: 'c1', payload: { grantId: 'g1', accountId: 'a' }, grantId: 'g1', expiresAt: later });
      await s.oidc.upsert({ model: 'RefreshToken', id: 'r1', payload: { grantId: 'g1' }, grantId: 'g1', expiresAt: later });
      await s.oidc.upsert({ model: 'RefreshToken', id: 'r2', payload: { grantId: 'g2' }, grantId: 'g2', expiresAt: later });
      await s.oidc.upsert({ model: 'Interaction', id: 'i1', payload: { uid: 'u1' }, uid: 'u1', expiresAt: later });
      await s.oidc.upsert({ model: 'DeviceCode', id: 'd1', payload: { userCode: 'ABCD-EFGH' }, userCode: 'ABCD-EFGH', expiresAt: later });
      await s.oidc.upsert({ model: 'Session', id: 'x', payload: {}, expiresAt: new Date(now.getTime() - 1) });
      assert.deepEqual((await s.oidc.find('AuthorizationCode', 'c1', now))?.payload, { grantId: 'g1', accountId: 'a' });
      assert.equal(await s.oidc.find('RefreshToken', 'c1', now), undefined, 'ids are per model');
      assert.equal((await s.oidc.findByUid('Interaction', 'u1', now))?.id, 'i1');
      assert.equal((await s.oidc.findByUserCode('DeviceCode', 'ABCD-EFGH', now))?.id, 'd1');
      assert.equal(await s.oidc.find('Session', 'x', now), undefined, 'an expired object is not found');
      const first = new Date(now.getTime() + 1000);
      await s.oidc.consume('AuthorizationCode', 'c1', first);
      await s.oidc.consume('AuthorizationCode', 'c1', new Date(now.getTime() + 2000));
      assert.equal((await s.oidc.find('AuthorizationCode', 'c1', now))?.consumedAt?.getTime(), first.getTime(), 'the first use is kept');
      await s.oidc.revokeByGrantId('g1');
      assert.equal(await s.oidc.find('AuthorizationCode', 'c1', now), undefined);
      assert.equal(await s.oidc.find('RefreshToken', 'r1', now), undefined);
      assert.ok(await s.oidc.find('RefreshToken', 'r2', now), 'another grant is untouched');
      await s.oidc.destroy('RefreshToken', 'r2');
      assert.equal(await s.oidc.find('RefreshToken', 'r2', now), undefined);
      await s.close();
    });

    it('stores clients added by the CLI once per client_id', async () => {
      const s = await open();
      await s.oidcClients.add({ clientId: 'b', metadata: { client_id: 'b', redirect_uris: ['https://b/cb'] }, createdAt: new Date(1000) });
      await s.oidcClients.add({ clientId: 'a', metadata: { client_id: 'a' }, createdAt: new Date(2000) });
      await assert.rejects(s.oidcClients.add({ clientId: 'a', metadata: {}, createdAt: new Date() }), OidcClientConflictError);
      assert.deepEqual((await s.oidcClients.list()).map((c) => c.clientId), ['a', 'b']);
      assert.deepEqual((await s.oidcClients.get('b'))?.metadata, { client_id: 'b', redirect_uris: ['https://b/cb'] });
      assert.equal(await s.oidcClients.remove('b'), true);
      assert.equal(await s.oidcClients.remove('b'), false);
      assert.equal(await s.oidcClients.get('b'), undefined);
      await s.close();
    });

    it('adds a trust at version 1, replaces it by id at version 2, records a refresh without touching it, and deletes it', async () => {
      const s = await open();
      const trust = {
        id: 'https://sp.example.org/metadata',
        trust: { identifier: 'https://sp.example.org/metadata', name: 'SP', replyUrls: ['https://sp.example.org/acs'], saml: { sign: 'assertion' } },
        source: { kind: 'url' as const, url: 'https://sp.example.org/metadata' },
        options: { allowIdpInitiated: true },
        metadata: '<EntityDescriptor/>',
        validUntil: new Date(9_000_000),
        lastRefresh: { at: new Date(5_000), ok: true, message: 'fetched' },
        updatedAt: new Date(5_000),
      };
      assert.equal((await s.trusts.put(trust)).version, 1);
      assert.deepEqual(await s.trusts.get(trust.id), { ...trust, version: 1 });
      const replaced = { ...trust, trust: { ...trust.trust, name: 'SP 2' }, validUntil: undefined, updatedAt: new Date(6_000) };
      assert.equal((await s.trusts.put(replaced)).version, 2);
      await s.trusts.setRefresh(trust.id, { at: new Date(7_000), ok: false, message: 'HTTP 503' });
      assert.deepEqual(await s.trusts.list(), [{ ...replaced, version: 2, lastRefresh: { at: new Date(7_000), ok: false, message: 'HTTP 503' } }]);
      assert.equal(await s.trusts.delete(trust.id), true);
      assert.equal(await s.trusts.delete(trust.id), false);
      assert.deepEqual(await s.trusts.list(), []);
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

describe('sqlite migrations', () => {
  it('keeps the keys of a database made before key origins and the previous state existed', async () => {
    const { default: Database } = await import('better-sqlite3');
    const path = join(await tempDir(), 'old.db');
    const db = new Database(path);
    // Schema version 3 as released: keys without origin, status without 'previous'.
    assert.equal(migrate(db, 3), 3);
    db.exec(`INSERT INTO keys VALUES ('OLD', 'signing', 'active', x'010203', x'0405', 0, 10000, 1);`);
    db.close();
    const s = sqliteStore(path);
    assert.deepEqual((await s.keys.list()).map((k) => [k.id, k.status, k.origin]), [['OLD', 'active', 'generated']]);
    await s.keys.setStatus('OLD', 'previous');
    await s.close();
  });
});

describe('postgres store', () => {
  it('migrates once when two nodes start together on an empty database, under the advisory lock', async () => {
    const url = await freshPostgres();
    const a = postgresStore(postgresOptions(url));
    const b = postgresStore(postgresOptions(url));
    await Promise.all([a.audit.append({ at: new Date(1), type: 'a', outcome: 'success' }), b.audit.append({ at: new Date(2), type: 'b', outcome: 'success' })]);
    assert.equal((await a.audit.recent(5)).length, 2);
    const { version, latest } = await schemaVersion(a.pool);
    assert.equal(version, latest);
    assert.equal((await a.pool.query('SELECT count(*)::int AS n FROM schema_version')).rows[0].n, 1);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a schema behind this Gatehouse when it may not migrate, naming the command that does', async () => {
    const s = postgresStore(postgresOptions(await freshPostgres(), false));
    await assert.rejects(s.keys.list(), /schema is version 0, this Gatehouse needs \d+: run gatehouse store migrate/);
    await s.close();
  });

  it('counts and takes one-time keys exactly once under concurrent use from two pools', async () => {
    const url = await freshPostgres();
    const a = postgresStore(postgresOptions(url));
    const b = postgresStore(postgresOptions(url));
    const now = new Date(1000);
    const until = new Date(60_000);
    const firsts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).counters.useOnce('nonce:x', until, now)));
    assert.equal(firsts.filter(Boolean).length, 1);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).counters.increment('lock:alice', 60_000, 1, now)));
    assert.equal(await a.counters.get('lock:alice', now), 20);
    const holders = await Promise.all(['h1', 'h2', 'h3', 'h4'].map((h, i) => (i % 2 ? a : b).sync.acquireLease('l', h, until, now)));
    assert.equal(holders.filter(Boolean).length, 1);
    await a.mfa.addTotp({ userKey: 'g', upn: 'u@corp.example.com', sealedSecret: Buffer.from([1]), lastStep: 1, createdAt: now });
    const accepted = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).mfa.useTotpStep('g', 2)));
    assert.equal(accepted.filter(Boolean).length, 1, 'one TOTP code accepted once across two nodes');
    await Promise.all([a.close(), b.close()]);
  });

  it('answers StoreUnavailableError while the server is down, within the connect timeout, and works again once it is back', async () => {
    const pgServer = await (server ??= startPostgres());
    const s = postgresStore(postgresOptions(await freshPostgres()));
    await s.counters.increment('k', 60_000);
    await pgServer.halt();
    try {
      const started = Date.now();
      const err = await s.counters.get('k').then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof StoreUnavailableError, `got ${String(err)}`);
      assert.equal(err.status, 503);
      assert.ok(Date.now() - started < 3000, 'bounded by connectTimeoutMs, not hanging');
    } finally {
      await pgServer.resume();
    }
    assert.equal(await s.counters.get('k'), 1, 'nothing lost');
    await s.close();
  });
});
