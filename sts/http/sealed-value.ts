import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A key for one purpose only, so no two uses ever share key material. */
export function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `gatehouse ${purpose}`, 32));
}

/**
 * Authenticated encryption of small values put in cookies (AES-256-GCM, key derived per purpose
 * from the installation's key-encryption key), so a cookie can be neither read nor forged.
 */
export class SealedValues {
  private readonly key: Buffer;

  constructor(masterKey: Buffer, purpose: string) {
    this.key = deriveKey(masterKey, purpose);
  }

  seal(value: unknown): string {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    const body = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
    return Buffer.concat([nonce, c.getAuthTag(), body]).toString('base64url');
  }

  /** The value, or undefined for anything tampered with, truncated or sealed under another key. */
  open<T>(sealed: string | undefined): T | undefined {
    if (!sealed) return undefined;
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 29) return undefined;
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }
}
