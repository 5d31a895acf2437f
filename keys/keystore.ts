import { createPrivateKey, type KeyObject } from 'node:crypto';
import { deriveKey, open, seal } from './sealing.js';

/*
 * Private keys at rest, sealed (keys/sealing.ts) under the key-encryption key's "private keys"
 * key. Layout: version byte 2 | nonce | tag | ciphertext of the PKCS#8 DER. The key id is
 * authenticated as associated data, so a sealed key cannot be swapped onto another record.
 */
const VERSION = 2;
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
  if (sealed[0] !== VERSION) throw new Error(`key ${keyId}: unknown sealed-key format`);
  const der = open(deriveKey(kek, PURPOSE), sealed.subarray(1), Buffer.from(keyId, 'utf8'));
  if (!der) throw new Error(`key ${keyId}: cannot decrypt (wrong keys.keyEncryptionKey?)`);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
