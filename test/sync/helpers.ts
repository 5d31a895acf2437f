import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Attribute, Change, Client, Control, EqualityFilter } from 'ldapts';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import type { SeededApp } from '../entra/tenant.js';
import { DcPool } from '../../directory/pool.js';
import { AdSourceReader } from '../../directory/source-reader.js';
import { ldapDefaults } from '../directory/helpers.js';
import { GraphClient } from '../../entra/graph-client.js';
import { Http } from '../../entra/http.js';
import { graphTokenProvider } from '../../entra/token.js';
import { memoryStore } from '../../store/memory.js';
import type { AuditStore, SyncStateStore } from '../../store/types.js';
import { SyncEngine, type SyncProgress, type SyncSettings } from '../../sync/engine.js';
import type { LeaseOptions } from '../../sync/lease.js';

export const SYNC_ROLES = ['User.ReadWrite.All', 'Group.ReadWrite.All', 'Domain.Read.All'];
const SHOW_DELETED = '1.2.840.113556.1.4.417';

export interface SyncWorld {
  bed: TestBed;
  double: EntraDouble;
  app: SeededApp;
  ad: Client;
  /** This test file's own OU, so tests sharing the DC do not see each other's objects. */
  ou: string;
  /** Random per world: names made with it do not collide with an earlier run's on the same DC. */
  tag: string;
  close(): Promise<void>;
}

export async function syncWorld(name: string): Promise<SyncWorld> {
  const bed = await getTestBed();
  const double = await startEntraDouble();
  double.tenant.addDomain(bed.realm);
  const app = await double.tenant.addApp({ roles: SYNC_ROLES });
  const ad = new Client({ url: bed.ldapsUrl, tlsOptions: { ca: bed.caCertPem }, timeout: 20_000 });
  await ad.bind(bed.admin.dn, bed.admin.password);
  const tag = randomBytes(3).toString('hex');
  const ou = `OU=${name}${tag},OU=Gatehouse,${bed.baseDn}`;
  await ad.add(ou, { objectClass: ['top', 'organizationalUnit'] });
  return { bed, double, app, ad, ou, tag, close: async () => { await ad.unbind(); await double.close(); } };
}

export interface EngineOptions {
  ous?: string[];
  /** The DCs the source reader's pool tries in order; default the test bed's one. */
  dcs?: string[];
  settings?: Partial<SyncSettings>;
  store?: SyncStateStore;
  /** Which of the app's credentials gets the Graph token (ENTRA.md §8.1); default the secret. */
  credential?: 'secret' | 'certificate';
  onProgress?: (p: SyncProgress) => void;
  lease?: LeaseOptions;
  /** Where finished runs are audited. */
  audit?: AuditStore;
}

export function makeEngine(w: SyncWorld, opts: EngineOptions = {}): { engine: SyncEngine; store: SyncStateStore; graph: GraphClient; pool: DcPool; close: () => Promise<void> } {
  const store = opts.store ?? memoryStore().sync;
  const pool = new DcPool({
    ...ldapDefaults, dcs: opts.dcs ?? [w.bed.ldapsUrl], tls: { ca: w.bed.caCertPem }, serviceAccount: w.bed.admin,
    connectTimeoutMs: 3000, operationTimeoutMs: 20_000,
  });
  const source = new AdSourceReader({ pool, baseDn: w.bed.baseDn, ous: opts.ous ?? [w.ou], extraAttributes: [] });
  const http = new Http({ timeoutMs: 10_000, caPem: w.double.caCertPem });
  const credential = opts.credential === 'certificate'
    ? { certificatePem: w.app.certificate.certificatePem, privateKeyPem: w.app.certificate.privateKeyPem }
    : { clientSecret: w.app.secret };
  const token = graphTokenProvider({ tenantId: w.double.tenant.id, clientId: w.app.clientId, credential, authorityHost: w.double.url }, http);
  const graph = new GraphClient({ graphUrl: w.double.url, http, token, maxConcurrentBatches: 3, retry: { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 2000 } });
  const engine = new SyncEngine({
    store, source, graph,
    settings: { deleteThreshold: 500, staging: false, flows: [], writeBackConsistencyGuid: false, ...opts.settings },
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.lease ? { lease: opts.lease } : {}),
    ...(opts.audit ? { audit: opts.audit } : {}),
  });
  return { engine, store, graph, pool, close: async () => { await pool.close(); await http.close(); } };
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A gatehouse config for `w` in `dir` (SQLite store `state.db` there), for the CLI as a child
 * process; `graph` and `sync` entries override the defaults (secret credential, scope = w.ou).
 */
export async function writeSyncConfig(w: SyncWorld, dir: string, over: { graph?: Record<string, unknown>; sync?: Record<string, unknown> } = {}): Promise<string> {
  await writeFile(join(dir, 'dc-ca.pem'), w.bed.caCertPem);
  await writeFile(join(dir, 'graph-ca.pem'), w.double.caCertPem);
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, JSON.stringify({
    directory: { kind: 'ldap', dcs: [w.bed.ldapsUrl], caFile: 'dc-ca.pem', baseDn: w.bed.baseDn, serviceAccount: { dn: w.bed.admin.dn, password: w.bed.admin.password } },
    federation: { domains: [{ name: w.bed.realm }] },
    keys: { keyEncryptionKey: randomBytes(32).toString('base64') },
    store: { sqlitePath: 'state.db' },
    graph: { tenantId: w.double.tenant.id, clientId: w.app.clientId, clientSecret: w.app.secret, authorityHost: w.double.url, graphUrl: w.double.url, caFile: 'graph-ca.pem', maxConcurrentBatches: 2, ...over.graph },
    sync: { ous: [w.ou], ...over.sync },
  }));
  return config;
}

/** `gatehouse <args>` as a child process (stdout and stderr are pipes, so not a terminal). */
export function gatehouse(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, stdio: 'pipe' });
}

/** Graph writes the double saw (single calls and `$batch` items; not the `$batch` envelope). */
export function graphWrites(double: EntraDouble): number {
  return double.faults.seen.filter((s) => s.method !== 'GET' && s.path.startsWith('/v1.0') && s.path !== '/v1.0/$batch').length;
}

export async function addUser(ad: Client, ou: string, sam: string, opts: { upnSuffix?: string; disabled?: boolean; attrs?: Record<string, string> } = {}): Promise<string> {
  const dn = `CN=${sam},${ou}`;
  await ad.add(dn, {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    // sAMAccountName is unique in the domain and the DC outlives one test run: a random tail keeps reruns apart.
    sAMAccountName: `${sam.slice(0, 14)}-${randomBytes(2).toString('hex')}`, userPrincipalName: `${sam}@${opts.upnSuffix ?? 'corp.example.com'}`, displayName: `User ${sam}`,
    userAccountControl: String(0x200 | (opts.disabled ? 0x2 : 0) | 0x20), ...opts.attrs,
  });
  return dn;
}

export async function addGroup(ad: Client, ou: string, name: string, members: string[]): Promise<string> {
  const dn = `CN=${name},${ou}`;
  await ad.add(dn, { objectClass: ['top', 'group'], sAMAccountName: `${name.slice(0, 14)}-${randomBytes(2).toString('hex')}`, ...(members.length ? { member: members } : {}) });
  return dn;
}

export const replace = (ad: Client, dn: string, type: string, values: string[]) =>
  ad.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type, values }) }));

export const members = (ad: Client, dn: string, operation: 'add' | 'delete', values: string[]) =>
  ad.modify(dn, new Change({ operation, modification: new Attribute({ type: 'member', values }) }));

/** AD "Recycle"-less restore of a tombstone: clear isDeleted and give it back a DN (MS-ADTS 3.1.1.5.3.7.2). */
export async function restoreTombstone(ad: Client, baseDn: string, objectGuid: Buffer, newDn: string): Promise<void> {
  const showDeleted = new Control(SHOW_DELETED);
  const { searchEntries } = await ad.search(`CN=Deleted Objects,${baseDn}`, { scope: 'one', filter: new EqualityFilter({ attribute: 'objectGUID', value: objectGuid }), attributes: ['dn'] }, showDeleted);
  const tomb = searchEntries[0];
  if (!tomb) throw new Error(`no tombstone under ${baseDn}`);
  await ad.modify(tomb.dn, [
    new Change({ operation: 'delete', modification: new Attribute({ type: 'isDeleted', values: [] }) }),
    new Change({ operation: 'replace', modification: new Attribute({ type: 'distinguishedName', values: [newDn] }) }),
  ], showDeleted);
}
