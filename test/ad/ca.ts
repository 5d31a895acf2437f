import 'reflect-metadata';
import { webcrypto, randomBytes, KeyObject } from 'node:crypto';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

/** PEM files of a throw-away CA and the DC's LDAPS certificate signed by it. */
export interface TestBedTls {
  caCertPem: string;
  caCertPath: string;
  keyPath: string;
  certPath: string;
}

function privateKeyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Makes a test CA and a server certificate whose SAN holds the DC's loopback IP and host name,
 * so clients verify LDAPS against the CA alone (no rejectUnauthorized=false anywhere).
 * Samba refuses a TLS key readable by others, hence mode 0600.
 */
export async function makeTestBedTls(dir: string, ip: string, hostName: string): Promise<TestBedTls> {
  await mkdir(dir, { recursive: true });
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 30 * 24 * 3600_000);
  const caKeys = await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: 'CN=Gatehouse Test Bed CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: rsa,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: `CN=${hostName}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: serverKeys.publicKey,
    signingAlgorithm: rsa,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: ip },
        { type: 'dns', value: hostName },
      ]),
    ],
  });
  const caCertPem = ca.toString('pem');
  const tls: TestBedTls = {
    caCertPem,
    caCertPath: join(dir, 'ca.pem'),
    keyPath: join(dir, 'dc.key'),
    certPath: join(dir, 'dc.pem'),
  };
  await writeFile(tls.caCertPath, caCertPem);
  await writeFile(tls.certPath, server.toString('pem'));
  await writeFile(tls.keyPath, privateKeyPem(serverKeys.privateKey), { mode: 0o600 });
  return tls;
}
