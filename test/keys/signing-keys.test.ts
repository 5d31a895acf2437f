import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, verify, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { derToPem, describeCertificate } from '../../keys/certificate.js';
import { sealPrivateKey, unsealPrivateKey } from '../../keys/keystore.js';
import { rekey } from '../../keys/lifecycle.js';
import { seal } from '../../keys/sealing.js';
import { ensureActiveSigningKey, generateSigningKey, publishedSigningCertificates, signerFor } from '../../keys/signing-keys.js';
import { memoryStore } from '../../store/memory.js';
import { tempDir } from '../support/tmp.js';

const run = promisify(execFile);
const opts = () => ({ kek: randomBytes(32), subject: 'CN=ADFS Signing - sts.corp.example.com', validityDays: 365, keyBits: 2048 as const });

describe('token-signing keys', () => {
  it('generates an RSA-2048 self-signed certificate that openssl reads', async () => {
    const store = memoryStore();
    const rec = await generateSigningKey(store, opts());
    const file = join(await tempDir(), 'c.pem');
    await writeFile(file, derToPem(rec.certificateDer));
    const { stdout } = await run('openssl', ['x509', '-in', file, '-noout', '-subject', '-text']);
    assert.match(stdout, /CN\s*=\s*ADFS Signing - sts\.corp\.example\.com/);
    assert.match(stdout, /Public-Key: \(2048 bit\)/);
    assert.match(stdout, /sha256WithRSAEncryption/);
    const info = describeCertificate(rec.certificateDer);
    assert.equal(info.keyBits, 2048);
    assert.equal(info.thumbprint, rec.id);
    assert.equal(new X509Certificate(rec.certificateDer).fingerprint.replaceAll(':', ''), rec.id);
    assert.ok(Math.abs(rec.notAfter.getTime() - Date.now() - 365 * 86_400_000) < 3_600_000);
  });

  it('keeps the private key only in sealed form and signs with it', async () => {
    const store = memoryStore();
    const o = opts();
    const rec = await generateSigningKey(store, o);
    assert.ok(!rec.sealedPrivateKey.includes(Buffer.from('PRIVATE KEY')));
    const signer = signerFor(rec, o.kek);
    const data = Buffer.from('<SignedInfo/>');
    const sig = await signer.sign('rsa-sha256', data);
    assert.ok(verify('sha256', data, new X509Certificate(rec.certificateDer).publicKey, sig));
    assert.equal(signer.thumbprint, rec.id);
  });

  it('refuses to unseal with the wrong key-encryption key or under another key id', async () => {
    const o = opts();
    const rec = await generateSigningKey(memoryStore(), o);
    assert.throws(() => unsealPrivateKey(rec.sealedPrivateKey, randomBytes(32), rec.id), /cannot decrypt/);
    assert.throws(() => unsealPrivateKey(rec.sealedPrivateKey, o.kek, 'OTHER'), /cannot decrypt/);
    const key = unsealPrivateKey(rec.sealedPrivateKey, o.kek, rec.id);
    assert.ok(unsealPrivateKey(sealPrivateKey(key, o.kek, 'X'), o.kek, 'X').equals(key));
  });

  it('opens keys sealed the first way (version 1: the key-encryption key itself) and rekey rewrites them the current way', async () => {
    const o = opts();
    const store = memoryStore();
    const rec = await generateSigningKey(store, o);
    const key = unsealPrivateKey(rec.sealedPrivateKey, o.kek, rec.id);
    // Version 1 as stores made before per-purpose keys hold it: 1 | nonce | tag | AES-256-GCM under the raw key, id as AAD.
    const v1 = Buffer.concat([Buffer.from([1]), seal(o.kek, key.export({ format: 'der', type: 'pkcs8' }), Buffer.from(rec.id))]);
    assert.ok(unsealPrivateKey(v1, o.kek, rec.id).equals(key));
    assert.throws(() => unsealPrivateKey(v1, randomBytes(32), rec.id), /cannot decrypt/);
    await store.keys.update([{ id: rec.id, sealedPrivateKey: v1 }]);
    const newKek = randomBytes(32);
    assert.equal(await rekey(store, o.kek, newKek), 1);
    const resealed = (await store.keys.get(rec.id))!.sealedPrivateKey;
    assert.equal(resealed[0], 2);
    assert.ok(unsealPrivateKey(resealed, newKek, rec.id).equals(key));
  });

  it('refuses to start on a store that holds signing keys but none active, rather than sign with a key Entra does not know', async () => {
    const store = memoryStore();
    const o = opts();
    const first = await ensureActiveSigningKey(store, o);
    await store.keys.setStatus(first.id, 'retired');
    await assert.rejects(ensureActiveSigningKey(store, o), /no active signing certificate, though the store holds 1: make one active with `gatehouse keys promote THUMBPRINT`/);
    assert.equal((await store.keys.list()).length, 1, 'no key was made');
  });

  it('makes an active key once and publishes active before next', async () => {
    const store = memoryStore();
    const o = opts();
    const first = await ensureActiveSigningKey(store, o);
    assert.equal((await ensureActiveSigningKey(store, o)).id, first.id);
    const next = await generateSigningKey(store, o, 'next');
    assert.deepEqual((await publishedSigningCertificates(store)).map((k) => k.id), [first.id, next.id]);
    assert.equal((await store.audit.recent(10, { type: 'key.generated' })).length, 2);
  });
});
