import type { KeyRecord, Store } from '../store/types.js';
import { generateKey } from './lifecycle.js';
import { unsealPrivateKey } from './keystore.js';
import { softwareSigner, type Signer } from './signer.js';

export interface SigningKeyOptions {
  kek: Buffer;
  subject: string;
  validityDays: number;
  keyBits: 2048 | 3072 | 4096;
}

/** Generates a token-signing certificate and stores it as `status`. */
export function generateSigningKey(store: Store, opts: SigningKeyOptions, status: KeyRecord['status'] = 'active', now = new Date()): Promise<KeyRecord> {
  return generateKey(store, { ...opts, use: 'signing', now }, status);
}

/** The active signing key, made on first start so a new install signs without a manual step (as AD FS does). */
export async function ensureActiveSigningKey(store: Store, opts: SigningKeyOptions, now = new Date()): Promise<KeyRecord> {
  const active = (await store.keys.list('signing')).find((k) => k.status === 'active');
  return active ?? generateSigningKey(store, opts, 'active', now);
}

/** The signer of a stored key; the private key is unsealed once, here, not per signature. */
export function signerFor(record: KeyRecord, kek: Buffer): Signer {
  return softwareSigner(unsealPrivateKey(record.sealedPrivateKey, kek, record.id), record.certificateDer, record.id);
}

/**
 * Certificates relying parties must accept now (ENTRA.md §1.4): the active one, the next one, and
 * the previous one until it expires — tokens it signed just before a promotion are still in flight.
 */
export async function publishedSigningCertificates(store: Store): Promise<KeyRecord[]> {
  const keys = await store.keys.list('signing');
  return (['active', 'next', 'previous'] as const).flatMap((status) => keys.filter((k) => k.status === status));
}
