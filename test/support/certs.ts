import { createHash, createPrivateKey, generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A throwaway signing identity for tests: it lives in memory and in a temp dir removed at once. */
export interface TestCert {
  keyPem: string;
  certPem: string;
  certDer: Buffer;
  key: KeyObject;
  /** SHA-1 of the DER certificate, hex upper-case (the `Signer.thumbprint` convention). */
  thumbprint: string;
}

const run = promisify(execFile);
const generateRsa = promisify(generateKeyPair);

/**
 * An RSA-2048 self-signed certificate + key. The key comes from node:crypto; the certificate is
 * signed by the openssl CLI because @peculiar/x509 needs a Reflect polyfill (reflect-metadata)
 * that is not a dependency yet.
 */
export async function makeTestCert(commonName = 'Gatehouse Test Signing'): Promise<TestCert> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await writeFile(keyFile, keyPem, { mode: 0o600 });
    await run('openssl', ['req', '-new', '-x509', '-key', keyFile, '-out', certFile, '-days', '365', '-sha256',
      '-subj', `/CN=${commonName}`], { timeout: 30_000 });
    const certPem = await readFile(certFile, 'utf8');
    const certDer = Buffer.from(new X509Certificate(certPem).raw);
    return {
      keyPem,
      certPem,
      certDer,
      key: createPrivateKey(keyPem),
      thumbprint: createHash('sha1').update(certDer).digest('hex').toUpperCase(),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
