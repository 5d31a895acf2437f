import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeServerCert, makeTestCa } from '../support/pki.js';

/** PEM files of a throw-away CA and the DC's LDAPS certificate signed by it. */
export interface TestBedTls {
  caCertPem: string;
  caCertPath: string;
  keyPath: string;
  certPath: string;
}

/**
 * Makes a test CA and a server certificate whose SAN holds the DC's loopback IP and host name,
 * so clients verify LDAPS against the CA alone (no rejectUnauthorized=false anywhere).
 * Samba refuses a TLS key readable by others, hence mode 0600.
 */
export async function makeTestBedTls(dir: string, ip: string, hostName: string): Promise<TestBedTls> {
  await mkdir(dir, { recursive: true });
  const ca = await makeTestCa('Gatehouse Test Bed CA');
  const server = await makeServerCert(ca, { dnsNames: [hostName], ipAddresses: [ip] });
  const tls: TestBedTls = {
    caCertPem: ca.certPem,
    caCertPath: join(dir, 'ca.pem'),
    keyPath: join(dir, 'dc.key'),
    certPath: join(dir, 'dc.pem'),
  };
  await writeFile(tls.caCertPath, ca.certPem);
  await writeFile(tls.certPath, server.certPem);
  await writeFile(tls.keyPath, server.keyPem, { mode: 0o600 });
  return tls;
}
