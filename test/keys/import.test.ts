import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { derToPem, generateCertificate, thumbprintOf } from '../../keys/certificate.js';
import { ImportRejected, readPem, readPfx } from '../../keys/import.js';
import { storeKey } from '../../keys/lifecycle.js';
import { memoryStore } from '../../store/memory.js';

const run = promisify(execFile);
const PASSWORD = 'Pfx-pass-1';

/** Writes a certificate and its key as PEM files, then has OpenSSL (not our code) pack them as a PFX. */
async function pfx(dir: string, name: string, parts: { certPem: string; keyPem?: string; chainPem?: string; legacy?: boolean; password?: string }): Promise<string> {
  const cert = join(dir, `${name}.crt`);
  await writeFile(cert, parts.certPem + (parts.chainPem ?? ''));
  const args = ['pkcs12', '-export', '-in', cert, '-out', join(dir, `${name}.pfx`), '-passout', `pass:${parts.password ?? PASSWORD}`];
  if (parts.keyPem) {
    await writeFile(join(dir, `${name}.key`), parts.keyPem);
    args.push('-inkey', join(dir, `${name}.key`));
  } else args.push('-nokeys');
  // What Windows still exports (3DES, SHA-1 MAC); OpenSSL 3's default is PBES2/AES-256 with a SHA-256 MAC.
  if (parts.legacy) args.push('-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1');
  await run('openssl', args);
  return join(dir, `${name}.pfx`);
}

const pem = (k: { privateKey: import('node:crypto').KeyObject }) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

describe('importing token-signing certificates', () => {
  let dir: string;
  let leaf: Awaited<ReturnType<typeof generateCertificate>>;
  after(() => rm(dir, { recursive: true, force: true }));
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-import-'));
    leaf = await generateCertificate({ subject: 'CN=Imported Signing', validityDays: 365, keyBits: 2048 });
  });

  for (const legacy of [false, true]) {
    it(`reads a PFX OpenSSL wrote ${legacy ? 'the legacy way (3DES, SHA-1 MAC)' : 'by default (PBES2/AES-256)'}`, async () => {
      const file = await pfx(dir, `leaf-${legacy}`, { certPem: derToPem(leaf.certificateDer), keyPem: pem(leaf), legacy });
      const read = readPfx(await readFile(file), PASSWORD);
      assert.equal(thumbprintOf(read.certificateDer), leaf.thumbprint);
      assert.equal(read.privateKey.export({ format: 'der', type: 'pkcs8' }).equals(leaf.privateKey.export({ format: 'der', type: 'pkcs8' })), true);
    });
  }

  it('takes the certificate of the key from a PFX that holds its chain', async () => {
    const ca = await generateCertificate({ subject: 'CN=Test Issuing CA', validityDays: 365, keyBits: 2048, ca: true });
    const issued = await generateCertificate({ subject: 'CN=CA-issued Signing', validityDays: 365, keyBits: 2048, issuer: ca });
    const file = await pfx(dir, 'chain', { certPem: derToPem(issued.certificateDer), chainPem: derToPem(ca.certificateDer), keyPem: pem(issued) });
    const read = readPfx(await readFile(file), PASSWORD);
    assert.equal(read.certificates, 2);
    assert.equal(thumbprintOf(read.certificateDer), issued.thumbprint);
  });

  it('reads a PEM certificate with a PKCS#8 key, and with an encrypted one', async () => {
    assert.equal(thumbprintOf(readPem(derToPem(leaf.certificateDer), pem(leaf)).certificateDer), leaf.thumbprint);
    const encrypted = leaf.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'Key-pass-2' }).toString();
    assert.equal(thumbprintOf(readPem(derToPem(leaf.certificateDer), encrypted, 'Key-pass-2').certificateDer), leaf.thumbprint);
    assert.throws(() => readPem(derToPem(leaf.certificateDer), encrypted), /the private key is encrypted: give its password/);
    assert.throws(() => readPem(derToPem(leaf.certificateDer), encrypted, 'wrong'), /the private key password is wrong/);
  });

  const refusals: [string, () => Promise<unknown>, RegExp][] = [
    ['a wrong PFX password', async () => readPfx(await readFile(await pfx(dir, 'pw', { certPem: derToPem(leaf.certificateDer), keyPem: pem(leaf) })), 'not-it'), /^the PFX password is wrong$/],
    ['a PFX without a private key', async () => readPfx(await readFile(await pfx(dir, 'nokey', { certPem: derToPem(leaf.certificateDer) })), PASSWORD), /^the PFX holds no private key/],
    ['a key under 2048 bits', async () => {
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
      return readPem(derToPem(leaf.certificateDer), small.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    }, /^the key has 1024 bits; at least 2048 are needed$/],
    ['a certificate already expired', async () => {
      const old = await generateCertificate({ subject: 'CN=Expired', validityDays: 30, keyBits: 2048, now: new Date(Date.now() - 60 * 86_400_000) });
      return readPfx(await readFile(await pfx(dir, 'expired', { certPem: derToPem(old.certificateDer), keyPem: pem(old) })), PASSWORD);
    }, /^the certificate expired on \d{4}-\d{2}-\d{2}$/],
    ['a key of none of the certificates', async () => {
      const other = await generateCertificate({ subject: 'CN=Other', validityDays: 30, keyBits: 2048 });
      return readPem(derToPem(leaf.certificateDer), pem(other));
    }, /^none of the 1 certificates belongs to the private key$/],
    ['a file that is no PFX', async () => readPfx(Buffer.from('not a pfx at all'), PASSWORD), /^not a PKCS#12 \(PFX\) file/],
  ];
  for (const [what, attempt, message] of refusals) {
    it(`refuses ${what} in one line`, async () => {
      await assert.rejects(attempt, (err: Error) => {
        assert.ok(err instanceof ImportRejected, String(err));
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    });
  }

  it('stores nothing twice and keeps one next certificate per role', async () => {
    const store = memoryStore();
    const kek = Buffer.alloc(32, 1);
    await storeKey(store, { kek, use: 'signing', status: 'next', origin: 'imported', certificateDer: leaf.certificateDer, privateKey: leaf.privateKey });
    await assert.rejects(storeKey(store, { kek, use: 'signing', status: 'next', origin: 'imported', certificateDer: leaf.certificateDer, privateKey: leaf.privateKey }), /already stored/);
    const other = await generateCertificate({ subject: 'CN=Other', validityDays: 30, keyBits: 2048 });
    await assert.rejects(storeKey(store, { kek, use: 'signing', status: 'next', origin: 'generated', certificateDer: other.certificateDer, privateKey: other.privateKey }), /already next/);
    assert.equal((await store.keys.list()).length, 1, 'nothing half-stored');
  });
});
