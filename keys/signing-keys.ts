import type { KeyRecord, Store } from '../store/types.js';
import { generateKey, KeyRefused } from './lifecycle.js';
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

/**
 * The active signing key, made on a new install's first start so it signs without a manual step
 * (as AD FS does). A store that holds signing keys but none active (restored, or every key
 * retired) is not a new install: a fresh key there would sign tokens Entra does not know, so the
 * start is refused. Two nodes starting on an empty farm store race; the loser takes the winner's.
 */
export async function ensureActiveSigningKey(store: Store, opts: SigningKeyOptions, now = new Date()): Promise<KeyRecord> {
  const keys = await store.keys.list('signing');
  const active = keys.find((k) => k.status === 'active');
  if (active) return active;
  if (keys.length > 0) throw new KeyRefused(`no active signing certificate, though the store holds ${keys.length}: make one active with \`gatehouse keys promote THUMBPRINT\``);
  try {
    return await generateSigningKey(store, opts, 'active', now);
  } catch (err) {
    const made = err instanceof KeyRefused && (await store.keys.list('signing')).find((k) => k.status === 'active');
    if (made) return made;
    throw err;
  }
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
