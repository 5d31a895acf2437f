import { createPrivateKey, X509Certificate } from 'node:crypto';
import { writeFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeServerCert, makeTestCa, type TestCa } from '../support/pki.js';

/** PEM files of a throw-away CA and the DC's LDAPS certificate signed by it. */
export interface TestBedTls {
  caCertPem: string;
  caCertPath: string;
  keyPath: string;
  certPath: string;
}

const caKeyName = 'ca.key';

/**
 * Makes a test CA and a server certificate whose SAN holds the DC's loopback IP and host name,
 * so clients verify LDAPS against the CA alone (no rejectUnauthorized=false anywhere).
 * The CA key stays in `dir` (0600) so a second DC's certificate comes from the same CA.
 */
export async function makeTestBedTls(dir: string, ip: string, hostName: string): Promise<TestBedTls> {
  await mkdir(dir, { recursive: true });
  const ca = await makeTestCa('Gatehouse Test Bed CA');
  await writeFile(join(dir, caKeyName), ca.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return writeServerTls(dir, ca, ip, hostName);
}

/** A certificate for another DC, issued by the CA `makeTestBedTls` left in `caDir`. */
export async function issueDcTls(caDir: string, dir: string, ip: string, hostName: string): Promise<TestBedTls> {
  await mkdir(dir, { recursive: true });
  const certPem = await readFile(join(caDir, 'ca.pem'), 'utf8');
  const ca: TestCa = {
    certPem,
    certificateDer: new X509Certificate(certPem).raw,
    privateKey: createPrivateKey(await readFile(join(caDir, caKeyName), 'utf8')),
  };
  return writeServerTls(dir, ca, ip, hostName);
}

/** Samba refuses a TLS key readable by others, hence mode 0600. */
async function writeServerTls(dir: string, ca: TestCa, ip: string, hostName: string): Promise<TestBedTls> {
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
