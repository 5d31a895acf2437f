import { createPrivateKey, type KeyObject } from 'node:crypto';
import { deriveKey, open, seal } from './sealing.js';

/*
 * Private keys at rest, sealed (keys/sealing.ts) under the key-encryption key's "private keys"
 * key. Layout: version byte 2 | nonce | tag | ciphertext of the PKCS#8 DER. The key id is
 * authenticated as associated data, so a sealed key cannot be swapped onto another record.
 * Version 1 (the same layout, the key-encryption key itself as the AES key) is what stores made
 * before per-purpose keys hold: still read, and rewritten as version 2 by `gatehouse keys rekey`.
 */
const VERSION = 2;
const LEGACY_VERSION = 1;
const PURPOSE = 'private keys at rest';

export function parseKeyEncryptionKey(value: string): Buffer {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error('keys.keyEncryptionKey must be 32 bytes, base64-encoded');
  return key;
}

export function sealPrivateKey(privateKey: KeyObject, kek: Buffer, keyId: string): Buffer {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return Buffer.concat([Buffer.from([VERSION]), seal(deriveKey(kek, PURPOSE), der, Buffer.from(keyId, 'utf8'))]);
}

export function unsealPrivateKey(sealed: Buffer, kek: Buffer, keyId: string): KeyObject {
  if (sealed[0] !== VERSION && sealed[0] !== LEGACY_VERSION) throw new Error(`key ${keyId}: unknown sealed-key format`);
  const key = sealed[0] === VERSION ? deriveKey(kek, PURPOSE) : kek;
  const der = open(key, sealed.subarray(1), Buffer.from(keyId, 'utf8'));
  if (!der) throw new Error(`key ${keyId}: cannot decrypt (wrong keys.keyEncryptionKey?)`);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
