import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueDcTls } from './ca.js';
import { claimLoopbackAddress, releaseLoopbackAddress, transferLoopbackLock } from './loopback.js';
import { joinDomain, replicateFrom, sambaLayout, startSamba, stopSamba, waitForLdaps, writeSmbConf, type ProvisionSpec } from './samba.js';
import type { TestBed } from './testbed.js';

/** A second Samba DC joined to a test bed's domain, on its own loopback address. */
export interface SecondDc {
  /** 127.0.0.M, this DC's own loopback address. */
  host: string;
  hostName: string;
  ldapsUrl: string;
  ldapUrl: string;
  dir: string;
  pid: number;
}

const hostName = 'dc2';
const descriptorName = 'second-dc.json';

function secondDcDir(bedDir: string): string {
  return join(bedDir, hostName);
}

function specOf(bed: TestBed, ip: string): ProvisionSpec {
  return { realm: bed.realm, netbios: bed.netbios, hostName, ip, adminPassword: bed.admin.password };
}

/**
 * Joins dc2 to the test bed's domain (`samba-tool domain join … DC`, by DRS from dc1) and starts
 * it with an LDAPS certificate from the test bed's CA. The bed must be provisioned `joinable`.
 * About 10 s; stopped by `stopSecondDc` or `stopTestBed`.
 */
export async function provisionSecondDc(bed: TestBed): Promise<SecondDc> {
  const dir = secondDcDir(bed.dir);
  const layout = sambaLayout(dir);
  await mkdir(dir, { recursive: true });
  const host = await claimLoopbackAddress();
  try {
    const spec = specOf(bed, host);
    const fqdn = `${hostName}.${bed.realm}`;
    const [tls] = await Promise.all([
      issueDcTls(join(bed.dir, 'tls'), join(dir, 'tls'), host, fqdn),
      joinDomain(layout, spec, bed.host),
    ]);
    await writeSmbConf(layout, spec, tls);
    const pid = await startSamba(layout);
    await transferLoopbackLock(host, pid);
    const dc: SecondDc = { host, hostName: fqdn, ldapsUrl: `ldaps://${host}:636`, ldapUrl: `ldap://${host}:389`, dir, pid };
    await writeFile(join(dir, descriptorName), JSON.stringify(dc, null, 2));
    await waitForLdaps(dc.ldapsUrl, bed.caCertPem, bed.admin.dn, bed.admin.password);
    return dc;
  } catch (err) {
    await stopSamba(layout).catch(() => undefined);
    await releaseLoopbackAddress(host);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Pulls dc1's domain partition changes into dc2 now, rather than waiting for replication. */
export async function replicateToSecondDc(bed: TestBed, dc: SecondDc): Promise<void> {
  await replicateFrom(sambaLayout(dc.dir), specOf(bed, dc.host), bed.host, bed.baseDn);
}

/** Stops the second DC of the test bed in `bedDir`, if one runs, and removes its directory. */
export async function stopSecondDc(bedDir: string): Promise<void> {
  const dir = secondDcDir(bedDir);
  const dc = await readFile(join(dir, descriptorName), 'utf8').then((text) => JSON.parse(text) as SecondDc, () => null);
  await stopSamba(sambaLayout(dir));
  if (dc) await releaseLoopbackAddress(dc.host);
  await rm(dir, { recursive: true, force: true });
}
