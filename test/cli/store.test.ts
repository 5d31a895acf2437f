import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { postgresStore } from '../../store/postgres/index.js';
import { LATEST_VERSION } from '../../store/postgres/migrations.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { KeyRecord, SyncObjectRecord, TotpEnrolment } from '../../store/types.js';
import { gatehouse } from '../support/cli.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const key: KeyRecord = {
  id: 'AB12', use: 'signing', status: 'active', origin: 'imported', certificateDer: Buffer.from([1, 2, 3]), sealedPrivateKey: Buffer.from([4, 5, 6]),
  notBefore: new Date(1_000), notAfter: new Date(9_000_000_000_000), createdAt: new Date(2_000),
};
const user: SyncObjectRecord = {
  anchor: 'RDMiEWZViHeZqrvM3e7/AA==', kind: 'user', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00', dn: 'CN=alice,DC=corp,DC=example,DC=com',
  desired: { displayName: 'Alice' }, memberGuids: [], entraId: 'e-1', exported: { displayName: 'Alice' }, exportedMembers: [], entraDeleted: false,
  error: { op: 'update', message: 'throttled', at: new Date(5_000), attempts: 1 },
};

const totp: TotpEnrolment = { userKey: user.objectGuid, upn: 'alice@corp.example.com', sealedSecret: Buffer.from([7, 7, 7]), lastStep: 58_000_000, createdAt: new Date(3_000) };

describe('gatehouse store migrate | status | copy', () => {
  let server: TestPostgres;
  let dir: string;
  let config: string;
  let url: string;
  const store = (...args: string[]) => gatehouse(['store', ...args, '-c', config], { GATEHOUSE_PG_URL: url });
  before(async () => {
    server = await startPostgres();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-store-cli-'));
    // The password is a real one the server ignores (trust authentication): the CLI must not print it.
    url = server.url.replace('gatehouse@', 'gatehouse:S3cret-pw@');
    config = join(dir, 'gatehouse.yaml');
    await writeFile(config, stringify({
      store: { kind: 'postgres', url: { env: 'GATEHOUSE_PG_URL' }, sqlitePath: 'old.db' },
      directory: { kind: 'file', path: 'users.yaml' },
      federation: { domains: [{ name: 'corp.example.com' }] },
      keys: { keyEncryptionKey: Buffer.alloc(32, 5).toString('base64') },
    }));
    const old = sqliteStore(join(dir, 'old.db'));
    await old.keys.put(key);
    await old.audit.append({ at: new Date(3_000), type: 'signin', outcome: 'success', user: 'alice@corp.example.com', details: { rp: 'urn:federation:MicrosoftOnline' } });
    await old.sessions.create({ id: 's1', user: 'alice@corp.example.com', createdAt: new Date(), expiresAt: new Date(Date.now() + 3_600_000), data: { rps: ['urn:federation:MicrosoftOnline'] } });
    await old.counters.increment('extranet:alice', 3_600_000, 4);
    await old.sync.putObjects([user]);
    await old.mfa.addTotp(totp);
    await old.sync.setValue('dirsync.cookie', 'AAEC');
    await old.oidc.upsert({ model: 'RefreshToken', id: 'rt1', payload: { grantId: 'g1' }, grantId: 'g1', expiresAt: new Date(Date.now() + 3_600_000) });
    await old.oidcClients.add({ clientId: 'app', metadata: { client_id: 'app', redirect_uris: ['https://app.example.com/cb'] }, createdAt: new Date() });
    await old.close();
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a new database behind (exit 1), migrates it, then reports it current', async () => {
    const before = await store('status');
    assert.equal(before.code, 1, before.stderr);
    assert.ok(before.stdout.startsWith(`postgres postgres://gatehouse:***@127.0.0.1:${server.port}/gatehouse\nschema version 0 of ${LATEST_VERSION} (run gatehouse store migrate)\n`), before.stdout);
    const migrated = await store('migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.equal(migrated.stdout, `store schema migrated from version 0 to ${LATEST_VERSION}\n`);
    assert.equal((await store('migrate')).stdout, `store schema already at version ${LATEST_VERSION}\n`);
    const after = await store('status', '--json');
    assert.equal(after.code, 0);
    const status = JSON.parse(after.stdout) as { version: number; latest: number; rows: Record<string, number> };
    assert.deepEqual([status.version, status.latest, status.rows.keys], [LATEST_VERSION, LATEST_VERSION, 0]);
    assert.ok(!before.stdout.includes('S3cret-pw') && !after.stdout.includes('S3cret-pw'), 'the password is never printed');
  });

  it('copies a SQLite install into PostgreSQL: keys, audit, sessions, counters, sync state and OpenID Connect tokens and clients, then refuses a second copy', async () => {
    const res = await store('copy', '--from', 'sqlite', '--to', 'postgres');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /keys: 1\nsessions: 1\ncounters: 1\naudit_events: 1\nsync_objects: 1\nsync_values: 1\nsync_journal: 0\nsync_runs: 0\naccount_activity: 0\nmfa_totp: 1\noidc_models: 1\noidc_clients: 1\ntrusts: 0\n$/);
    assert.doesNotMatch(res.stdout, /S3cret-pw/);
    const copy = postgresStore({ url: server.url, poolSize: 2, statementTimeoutMs: 5000, connectTimeoutMs: 2000, migrate: false });
    try {
      assert.deepEqual(await copy.keys.list(), [key]);
      const [event] = await copy.audit.recent(5);
      assert.deepEqual([event!.user, event!.details], ['alice@corp.example.com', { rp: 'urn:federation:MicrosoftOnline' }]);
      assert.deepEqual((await copy.sessions.get('s1'))?.data, { rps: ['urn:federation:MicrosoftOnline'] }, 'users stay signed in');
      assert.equal(await copy.counters.get('extranet:alice'), 4, 'lockout counts carry over');
      assert.deepEqual(await copy.sync.getObject(user.anchor), user);
      assert.deepEqual(await copy.mfa.getTotp(totp.userKey), totp, 'authenticators move with the install, still sealed');
      assert.equal(await copy.sync.getValue('dirsync.cookie'), 'AAEC', 'the next sync is a delta, not a full import');
      assert.equal((await copy.oidc.find('RefreshToken', 'rt1'))?.grantId, 'g1', 'refresh tokens keep working');
      assert.deepEqual((await copy.oidcClients.get('app'))?.metadata, { client_id: 'app', redirect_uris: ['https://app.example.com/cb'] });
      await copy.audit.append({ at: new Date(), type: 'after.copy', outcome: 'success' });
      const ids = (await copy.audit.recent(5)).map((e) => e.id!);
      assert.ok(ids[0]! > ids[1]!, `new audit ids continue after the copied ones (${ids})`);
    } finally {
      await copy.close();
    }
    const again = await store('copy', '--from', 'sqlite', '--to', 'postgres');
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'gatehouse: the PostgreSQL store already holds data (1 keys, 1 sessions, 1 counters, 2 audit_events, 1 sync_objects, 1 sync_values, 1 mfa_totp, 1 oidc_models, 1 oidc_clients); copy only into an empty database\n');
  });

  it('answers bad input in one line: a direction it does not copy, postgres without a url, an unreachable server', async () => {
    const backwards = await store('copy', '--from', 'postgres', '--to', 'sqlite');
    assert.deepEqual([backwards.code, backwards.stderr], [1, 'gatehouse: store copy moves --from sqlite --to postgres only, not --from postgres --to sqlite\n']);
    const noUrl = join(dir, 'no-url.yaml');
    await writeFile(noUrl, stringify({ store: { kind: 'postgres' }, directory: { kind: 'file', path: 'u.yaml' }, federation: { domains: [{ name: 'corp.example.com' }] }, keys: { keyEncryptionKey: 'x' } }));
    const bad = await gatehouse(['store', 'status', '-c', noUrl]);
    assert.deepEqual([bad.code, bad.stderr], [2, `gatehouse: bad config: ${noUrl}: store.url: kind postgres needs url\n`]);
    const down = await gatehouse(['store', 'status', '-c', config], { GATEHOUSE_PG_URL: 'postgres://gatehouse:S3cret-pw@127.0.0.1:1/gatehouse' });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^gatehouse: store unavailable: .*\n$/);
    assert.doesNotMatch(down.stderr, /S3cret-pw/);
  });
});

