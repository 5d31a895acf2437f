import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';

/*
 * Private keys at rest: AES-256-GCM under the configured key-encryption key (STYLE.md, after Ory
 * Hydra). Layout: version byte 1 | 12-byte nonce | 16-byte tag | ciphertext of the PKCS#8 DER.
 * The key id is authenticated as associated data, so a sealed key cannot be swapped onto another record.
 */
const VERSION = 1;

export function parseKeyEncryptionKey(value: string): Buffer {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error('keys.keyEncryptionKey must be 32 bytes, base64-encoded');
  return key;
}

export function sealPrivateKey(privateKey: KeyObject, kek: Buffer, keyId: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(Buffer.from(keyId, 'utf8'));
  const body = Buffer.concat([cipher.update(privateKey.export({ format: 'der', type: 'pkcs8' })), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]);
}

export function unsealPrivateKey(sealed: Buffer, kek: Buffer, keyId: string): KeyObject {
  if (sealed[0] !== VERSION || sealed.length < 29) throw new Error(`key ${keyId}: unknown sealed-key format`);
  const decipher = createDecipheriv('aes-256-gcm', kek, sealed.subarray(1, 13));
  decipher.setAAD(Buffer.from(keyId, 'utf8'));
  decipher.setAuthTag(sealed.subarray(13, 29));
  let der: Buffer;
  try {
    der = Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]);
  } catch {
    throw new Error(`key ${keyId}: cannot decrypt (wrong keys.keyEncryptionKey?)`);
  }
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
