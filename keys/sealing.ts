import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/*
 * The one authenticated encryption of the project (AES-256-GCM, STYLE.md after Ory Hydra): private
 * keys at rest, cookies, and anything else sealed. The installation has one key-encryption key
 * (`keys.keyEncryptionKey`); every use derives its own key from it, so no two purposes ever share
 * key material and a value sealed for one cannot be opened as another.
 */

const NONCE = 12;
const TAG = 16;

/** The 32-byte key of one purpose, derived from the key-encryption key (HKDF-SHA256, RFC 5869). */
export function deriveKey(kek: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), `gatehouse ${purpose}`, 32));
}

/** nonce (12) | tag (16) | ciphertext, `aad` authenticated but not stored. */
export function seal(key: Buffer, plaintext: Buffer, aad?: Buffer): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), body]);
}

/** The plaintext, or undefined for anything tampered with, truncated, or sealed under another key or `aad`. */
export function open(key: Buffer, sealed: Buffer, aad?: Buffer): Buffer | undefined {
  if (sealed.length < NONCE + TAG) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE));
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(NONCE, NONCE + TAG));
    return Buffer.concat([decipher.update(sealed.subarray(NONCE + TAG)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Small JSON values sealed for one purpose, as base64url text (cookies). */
export class SealedValues {
  private readonly key: Buffer;

  constructor(kek: Buffer, purpose: string) {
    this.key = deriveKey(kek, purpose);
  }

  seal(value: unknown): string {
    return seal(this.key, Buffer.from(JSON.stringify(value), 'utf8')).toString('base64url');
  }

  /** The value, or undefined for anything tampered with, truncated or sealed under another key. */
  open<T>(sealed: string | undefined): T | undefined {
    if (!sealed) return undefined;
    const plain = open(this.key, Buffer.from(sealed, 'base64url'));
    if (!plain) return undefined;
    try {
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }
}
