import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { immutableIdFromBytes } from '../directory/guid.js';
import { sqliteStore } from '../store/sqlite/index.js';
import { runSyncLoop } from '../sync/loop.js';
import { getTestBed } from '../test/ad/testbed.js';
import { startEntraDouble } from '../test/entra/server.js';
import { graphWrites, makeEngine, replace, SYNC_ROLES, type SyncWorld } from '../test/sync/helpers.js';
import { summaryRow, table } from './ceiling.js';

/*
 * Sync (issue [H]): 10,000 AD users in one OU of the Samba test bed, a full sync to the Entra double
 * through $batch, then single changes in watch mode end to end. Ceiling: a fresh double of its own
 * absorbing as many 20-item $batch user creates, posted straight from the Graph client (no LDAP,
 * no store, no plan) just before the sync.
 */
const USERS = Number(process.env.BENCH_SYNC_USERS ?? 10_000);
const WATCH_INTERVAL_MS = Number(process.env.BENCH_WATCH_MS ?? 1000);
const WATCH_CHANGES = 5;
const LDAP_CONNECTIONS = 4;

const bed = await getTestBed();
const ldap = () => new Client({ url: bed.ldapsUrl, tlsOptions: { ca: bed.caCertPem }, timeout: 30_000 });
const ad = ldap();
await ad.bind(bed.admin.dn, bed.admin.password);
const ou = `OU=Bench${USERS},OU=Gatehouse,${bed.baseDn}`;
// The count in the name: UPNs are unique in the domain, and a smaller trial run's OU may exist too.
const name = (i: number) => `bench${USERS}-${String(i).padStart(5, '0')}`;

/** The bench OU with USERS users; kept between runs on the same DC, so only the first run fills it. */
async function populate(): Promise<number> {
  await ad.add(ou, { objectClass: ['top', 'organizationalUnit'] }).catch((err: Error) => {
    if (!/already exists|ENTRY_EXISTS|0x44/i.test(err.message)) throw err;
  });
  const existing = new Set<string>();
  for await (const page of ad.searchPaginated(ou, { scope: 'one', filter: '(objectClass=user)', attributes: ['cn'], paged: { pageSize: 1000 } })) {
    for (const e of page.searchEntries) existing.add(String(e.cn));
  }
  const todo = Array.from({ length: USERS }, (_, i) => i).filter((i) => !existing.has(name(i)));
  const started = performance.now();
  await Promise.all(Array.from({ length: LDAP_CONNECTIONS }, async (_, c) => {
    const client = ldap();
    await client.bind(bed.admin.dn, bed.admin.password);
    for (let k = c; k < todo.length; k += LDAP_CONNECTIONS) {
      const i = todo[k]!;
      await client.add(`CN=${name(i)},${ou}`, {
        objectClass: ['top', 'person', 'organizationalPerson', 'user'], sAMAccountName: `b${String(i).padStart(5, '0')}-${randomBytes(2).toString('hex')}`,
        userPrincipalName: `${name(i)}@${bed.realm}`, displayName: `Bench User ${i}`, givenName: 'Bench', sn: `User ${i}`,
        department: `Dept ${i % 40}`, userAccountControl: String(0x200 | 0x20),
      });
    }
    await client.unbind();
  }));
  return todo.length === 0 ? 0 : todo.length / ((performance.now() - started) / 1000);
}

const addRate = await populate();
const double = await startEntraDouble();
double.tenant.addDomain(bed.realm);
const app = await double.tenant.addApp({ roles: SYNC_ROLES });
const world: SyncWorld = { bed, double, app, ad, ou, tag: 'bench', close: async () => undefined };
const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-sync-'));
const store = sqliteStore(join(dir, 'state.db'));
const e = makeEngine(world, { store: store.sync });

const secondsOf = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, (performance.now() - t) / 1000];
};

// Ceiling, under the sync's own conditions and before it: a fresh, empty double of its own takes as
// many user creates as the sync will write, posted straight through the same Graph client (the
// same batches in flight), with no LDAP, store or plan. Measured against a double that already
// held the synced users it was a different figure (the double slows as it fills: issue [J]).
const ceilingDouble = await startEntraDouble();
ceilingDouble.tenant.addDomain(bed.realm);
const ceilingApp = await ceilingDouble.tenant.addApp({ roles: SYNC_ROLES });
const ceilingEngine = makeEngine({ ...world, double: ceilingDouble, app: ceilingApp }, { store: sqliteStore(':memory:').sync });
const CEILING_USERS = USERS;
const items = Array.from({ length: CEILING_USERS }, (_, i) => ({
  id: String(i), method: 'POST' as const, url: '/users',
  body: {
    accountEnabled: true, displayName: `Ceiling ${i}`, mailNickname: `ceiling${i}`, userPrincipalName: `ceiling${i}@${bed.realm}`, givenName: 'Bench', surname: `User ${i}`, department: `Dept ${i % 40}`,
    onPremisesImmutableId: randomBytes(16).toString('base64'), passwordProfile: { password: `${randomBytes(18).toString('base64url')}aA1!`, forceChangePasswordNextSignIn: false },
  },
}));
const [created, ceilingSeconds] = await secondsOf(() => ceilingEngine.graph.batch(items));
const createdOk = [...created.values()].filter((o) => o.status === 201).length;
if (createdOk !== CEILING_USERS) throw new Error(`ceiling: ${createdOk} of ${CEILING_USERS} creates succeeded`);
const ceiling = CEILING_USERS / ceilingSeconds;
await ceilingEngine.close();
await ceilingDouble.close();

const [full, fullSeconds] = await secondsOf(() => e.engine.run());
if (full.run.outcome !== 'success') throw new Error(`full sync ${full.run.outcome}: ${full.run.message ?? JSON.stringify(full.errors.slice(0, 3))}`);
const fullWrites = graphWrites(double);
const [, noopSeconds] = await secondsOf(() => e.engine.run({ full: true }));
const noopWrites = graphWrites(double) - fullWrites;

// Watch mode: one LDAP modify at a time, latency until the double holds the new value.
const latencies: number[] = [];
const runSeconds: number[] = [];
const stop = new AbortController();
const loop = runSyncLoop(e.engine, {
  mode: 'watch', intervalMs: WATCH_INTERVAL_MS, signal: stop.signal,
  onReport: (r) => runSeconds.push((r.run.finishedAt!.getTime() - r.run.startedAt.getTime()) / 1000),
  onError: (err) => console.error(`watch run failed: ${err.message}`),
});
for (let n = 0; n < WATCH_CHANGES; n++) {
  const dn = `CN=${name(n * 997 % USERS)},${ou}`;
  const { searchEntries } = await ad.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
  const immutableId = immutableIdFromBytes(searchEntries[0]!.objectGUID as Buffer);
  const value = `Watched ${n} ${randomBytes(3).toString('hex')}`;
  const t = performance.now();
  await replace(ad, dn, 'department', [value]);
  while (double.tenant.findUserByImmutableId(immutableId)?.department !== value) {
    if (performance.now() - t > 60_000) throw new Error('a watched change did not reach the double within 60 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  latencies.push((performance.now() - t) / 1000);
}
stop.abort();
await loop;

const syncRate = fullWrites / fullSeconds;

const sorted = [...latencies].sort((a, b) => a - b);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}; ${USERS} users; watch interval ${WATCH_INTERVAL_MS} ms`);
table([
  { measure: 'Samba user adds / s while filling the OU (4 LDAP connections; 0 = already filled)', value: addRate.toFixed(0) },
  { measure: `full sync of ${USERS} users: seconds (import + plan + export, SQLite store)`, value: fullSeconds.toFixed(1) },
  { measure: 'full sync: Graph writes (batch items)', value: fullWrites },
  { measure: 'full sync: Graph writes / s', value: syncRate.toFixed(0) },
  { measure: `ceiling: raw $batch creates of ${CEILING_USERS} users / s on a fresh double (same client and batches in flight, just before the sync)`, value: ceiling.toFixed(0) },
  { measure: 'ratio to ceiling', value: `${((syncRate / ceiling) * 100).toFixed(1)} %` },
  { measure: `second full run (nothing to do): seconds`, value: noopSeconds.toFixed(1) },
  { measure: 'second full run: Graph writes', value: noopWrites },
  { measure: `watch: LDAP modify → in the double, median of ${WATCH_CHANGES} (s)`, value: sorted[Math.floor(sorted.length / 2)]!.toFixed(2) },
  { measure: 'watch: LDAP modify → in the double, min / max (s)', value: `${sorted[0]!.toFixed(2)} / ${sorted[sorted.length - 1]!.toFixed(2)}` },
  { measure: 'watch: one delta run with one change, median (s)', value: [...runSeconds].sort((a, b) => a - b)[Math.floor(runSeconds.length / 2)]?.toFixed(2) ?? 'n/a' },
]);

summaryRow({ bench: 'sync', measure: `full sync of ${USERS} users: Graph writes / s`, value: syncRate.toFixed(0), ceiling: `raw $batch creates on a fresh double ${ceiling.toFixed(0)}/s`, ratio: (syncRate / ceiling).toFixed(3) });

await e.close();
await store.close();
await ad.unbind();
await double.close();
await rm(dir, { recursive: true, force: true });
