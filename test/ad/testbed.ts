import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { makeTestBedTls } from './ca.js';
import { createLockoutPso, filetimeDaysAgo, createServiceAccount, createStructure, createUser, fixtureSpecs, type FixtureSpec, type FixtureUser } from './fixtures.js';
import { assertSambaInstalled } from './preflight.js';
import { claimLoopbackAddress, releaseLoopbackAddress, transferLoopbackLock } from './loopback.js';
import { stopSecondDc } from './second-dc.js';
import { provisionDomain, writeRawAttribute, sambaLayout, startSamba, stopSamba, waitForLdaps, writeSmbConf } from './samba.js';

export type { FixtureUser, FixtureSpec, FixtureOutcome } from './fixtures.js';

/** A running Samba AD DC on its own loopback address; serialised as `<dir>/testbed.json`. */
export interface TestBed {
  realm: string;
  netbios: string;
  baseDn: string;
  /** 127.0.0.N, this DC's own loopback address. */
  host: string;
  hostName: string;
  ldapsUrl: string;
  ldapUrl: string;
  caCertPem: string;
  caCertPath: string;
  /** Samba's own database, for reading attributes with ldbsearch (an independent source). */
  samLdbPath: string;
  admin: { dn: string; password: string };
  service: { dn: string; upn: string; password: string };
  users: Record<string, FixtureUser>;
  /** Extra UPN suffixes registered in CN=Partitions. */
  upnSuffixes: string[];
  dir: string;
  pid: number;
}

export interface ProvisionOptions {
  dir: string;
  realm: string;
  netbios: string;
  /** Users to create; defaults to every fixture case. */
  users?: FixtureSpec[];
  /** Also serve CLDAP and DRS (`cldap`, `rpc`), which `provisionSecondDc` needs to join a second DC. */
  joinable?: boolean;
}

export const descriptorName = 'testbed.json';

function secret(): string {
  // Samba's default policy wants three character classes.
  return `Gh-${randomBytes(12).toString('base64url')}-9a`;
}

function baseDnOf(realm: string): string {
  return realm.split('.').map((part) => `DC=${part}`).join(',');
}

/** Provisions, starts and populates a DC; the samba process outlives the caller until stopTestBed. */
export async function provisionTestBed(options: ProvisionOptions): Promise<TestBed> {
  const realm = options.realm.toLowerCase();
  const baseDn = baseDnOf(realm);
  const hostName = 'dc1';
  const fqdn = `${hostName}.${realm}`;
  await assertSambaInstalled();
  await mkdir(options.dir, { recursive: true });
  const host = await claimLoopbackAddress();
  try {
    const layout = sambaLayout(options.dir);
    const adminPassword = secret();
    const spec = { realm, netbios: options.netbios, hostName, ip: host, adminPassword };
    const [tls] = await Promise.all([makeTestBedTls(join(options.dir, 'tls'), host, fqdn), provisionDomain(layout, spec)]);
    await writeSmbConf(layout, spec, tls, options.joinable ? ['ldap', 'cldap', 'rpc'] : ['ldap']);
    const pid = await startSamba(layout);
    await transferLoopbackLock(host, pid);
    const ldapsUrl = `ldaps://${host}:636`;
    const admin = { dn: `CN=Administrator,CN=Users,${baseDn}`, password: adminPassword };
    await waitForLdaps(ldapsUrl, tls.caCertPem, admin.dn, admin.password);

    const client = new Client({ url: ldapsUrl, connectTimeout: 2000, timeout: 10_000, tlsOptions: { ca: tls.caCertPem } });
    const users: Record<string, FixtureUser> = {};
    const upnSuffixes = ['fabrikam.example.com'];
    let service: TestBed['service'];
    try {
      await client.bind(admin.dn, admin.password);
      const ctx = { client, baseDn, realm };
      await createStructure(ctx, upnSuffixes);
      const lockoutPso = await createLockoutPso(ctx);
      const servicePassword = secret();
      service = { ...(await createServiceAccount(ctx, servicePassword)), password: servicePassword };
      for (const userSpec of options.users ?? fixtureSpecs) {
        const psoDn = userSpec.pso ? lockoutPso : undefined;
        const user = await createUser(ctx, userSpec, psoDn, ldapsUrl, tls.caCertPem);
        if (userSpec.pwdLastSetDaysAgo !== undefined) {
          await writeRawAttribute(layout, baseDn, user.dn, 'pwdLastSet', filetimeDaysAgo(userSpec.pwdLastSetDaysAgo));
        }
        users[userSpec.key] = user;
      }
    } finally {
      await client.unbind().catch(() => undefined);
    }
    const bed: TestBed = {
      realm,
      netbios: options.netbios,
      baseDn,
      host,
      hostName: fqdn,
      ldapsUrl,
      ldapUrl: `ldap://${host}:389`,
      caCertPem: tls.caCertPem,
      caCertPath: tls.caCertPath,
      samLdbPath: join(layout.target, 'private', 'sam.ldb'),
      admin,
      service,
      users,
      upnSuffixes,
      dir: options.dir,
      pid,
    };
    await writeFile(join(options.dir, descriptorName), JSON.stringify(bed, null, 2), { mode: 0o600 });
    return bed;
  } catch (err) {
    await stopSamba(sambaLayout(options.dir)).catch(() => undefined);
    await releaseLoopbackAddress(host);
    throw err;
  }
}

/** Stops samba (and a second DC, if one joined), frees the loopback address and removes the test bed directory. */
export async function stopTestBed(dir: string): Promise<void> {
  const bed = await readTestBed(join(dir, descriptorName)).catch(() => null);
  await stopSecondDc(dir);
  await stopSamba(sambaLayout(dir));
  if (bed) await releaseLoopbackAddress(bed.host);
  await rm(dir, { recursive: true, force: true });
}

export async function readTestBed(path: string): Promise<TestBed> {
  return JSON.parse(await readFile(path, 'utf8')) as TestBed;
}

let own: Promise<TestBed> | undefined;

/**
 * The shared test bed named by GATEHOUSE_TESTBED (test/run-all.sh starts one), or else a private
 * one for this process, stopped when the process exits, so a single test file runs on its own.
 */
export function getTestBed(): Promise<TestBed> {
  const shared = process.env.GATEHOUSE_TESTBED;
  if (shared && existsSync(shared)) return readTestBed(shared);
  own ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-testbed-'));
    const bed = await provisionTestBed({ dir, realm: 'corp.example.com', netbios: 'CORP' });
    process.once('beforeExit', () => void stopTestBed(dir));
    return bed;
  })();
  return own;
}
