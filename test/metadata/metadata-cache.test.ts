import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { configSchema } from '../../config/schema.js';
import { derToPem } from '../../keys/certificate.js';
import type { Signer } from '../../keys/signer.js';
import { promoteKey } from '../../keys/lifecycle.js';
import { generateSigningKey, signerFor } from '../../keys/signing-keys.js';
import { FederationMetadataCache, MetadataSigningError } from '../../metadata/metadata-cache.js';
import { memoryStore } from '../../store/memory.js';
import type { KeyRecord } from '../../store/types.js';
import { verifyEnveloped } from '../../xml/verify.js';
import { FED_NS, MD_NS, readMetadata, signingCertificates } from './read-metadata.js';

const kek = randomBytes(32);
const keyOpts = { kek, subject: 'CN=ADFS Signing - sts.corp.example.com', validityDays: 60, keyBits: 2048 as const };
const config = configSchema.parse({
  server: { publicUrl: 'https://sts.corp.example.com' },
  directory: { kind: 'file', path: 'users.yaml' },
  federation: { domains: [{ name: 'corp.example.com' }] },
  keys: { keyEncryptionKey: kek.toString('base64') },
});

/** A signer that counts its signatures and can be told to fail, over a stored key. */
function countingSigner(record: KeyRecord) {
  const inner = signerFor(record, kek);
  const counter = { signatures: 0, failNext: false };
  const signer: Signer = {
    thumbprint: inner.thumbprint,
    certificateDer: inner.certificateDer,
    async sign(algorithm, data) {
      if (counter.failNext) {
        counter.failNext = false;
        throw new Error('HSM unavailable');
      }
      counter.signatures += 1;
      return inner.sign(algorithm, data);
    },
  };
  return { signer, counter };
}

const published = (xml: string) => signingCertificates(readMetadata(xml).roles.get(`{${FED_NS}}SecurityTokenServiceType`)!);
const verifiesWith = (xml: string, record: KeyRecord) =>
  verifyEnveloped(xml, { expect: { ns: MD_NS, name: 'EntityDescriptor' }, keys: [derToPem(record.certificateDer)] });

describe('signed federation metadata cache', () => {
  it('signs once and serves that document until the published keys change', async () => {
    const store = memoryStore();
    const active = await generateSigningKey(store, keyOpts);
    const { signer, counter } = countingSigner(active);
    const cache = new FederationMetadataCache({ config, store, signer: () => signer });
    const first = await cache.get();
    const second = await cache.get();
    assert.equal(second.xml, first.xml);
    assert.equal(counter.signatures, 1);

    const next = await generateSigningKey(store, keyOpts, 'next');
    const third = await cache.get();
    assert.equal(counter.signatures, 2);
    assert.notEqual(third.etag, first.etag);
    assert.deepEqual(published(third.xml), [active, next].map((k) => k.certificateDer.toString('base64')));
    verifiesWith(third.xml, active);
  });

  it('shares one signature between requests that arrive while it is being built', async () => {
    const store = memoryStore();
    const { signer, counter } = countingSigner(await generateSigningKey(store, keyOpts));
    const cache = new FederationMetadataCache({ config, store, signer: () => signer });
    const [a, b, c] = await Promise.all([cache.get(), cache.get(), cache.get()]);
    assert.equal(counter.signatures, 1);
    assert.equal(a.xml, b.xml);
    assert.equal(b.xml, c.xml);
  });

  it('re-signs with the new key after a rollover promotes the next key', async () => {
    const store = memoryStore();
    const old = await generateSigningKey(store, keyOpts);
    const next = await generateSigningKey(store, keyOpts, 'next');
    let current = signerFor(old, kek);
    const cache = new FederationMetadataCache({ config, store, signer: () => current });
    verifiesWith((await cache.get()).xml, old);

    await store.keys.setStatus(old.id, 'retired');
    await store.keys.setStatus(next.id, 'active');
    current = signerFor(next, kek);
    const after = await cache.get();
    assert.deepEqual(published(after.xml), [next.certificateDer.toString('base64')]);
    verifiesWith(after.xml, next);
    assert.throws(() => verifiesWith(after.xml, old));
  });

  it('refuses to sign with a key it does not publish as active', async () => {
    const store = memoryStore();
    await generateSigningKey(store, keyOpts);
    const next = await generateSigningKey(store, keyOpts, 'next');
    const cache = new FederationMetadataCache({ config, store, signer: () => signerFor(next, kek) });
    await assert.rejects(cache.get(), MetadataSigningError);
  });

  it('keeps serving from a node whose key was just demoted: signed by the previous key, which it still publishes', async () => {
    const store = memoryStore();
    const old = await generateSigningKey(store, keyOpts);
    const next = await generateSigningKey(store, keyOpts, 'next');
    await promoteKey(store, next.id);
    const cache = new FederationMetadataCache({ config, store, signer: () => signerFor(old, kek) });
    const doc = await cache.get();
    verifiesWith(doc.xml, old);
    assert.deepEqual(published(doc.xml), [next.certificateDer.toString('base64'), old.certificateDer.toString('base64')]);
  });

  it('does not keep a failed signature: the next request signs again', async () => {
    const store = memoryStore();
    const active = await generateSigningKey(store, keyOpts);
    const { signer, counter } = countingSigner(active);
    const cache = new FederationMetadataCache({ config, store, signer: () => signer });
    counter.failNext = true;
    await assert.rejects(cache.get(), /HSM unavailable/);
    verifiesWith((await cache.get()).xml, active);
    assert.equal(counter.signatures, 1);
  });
});
