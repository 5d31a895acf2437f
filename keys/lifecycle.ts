import type { KeyObject } from 'node:crypto';
import { KeyConflictError, type AuditEvent, type KeyRecord, type KeyStatus, type KeyUse, type Store } from '../store/types.js';
import { describeCertificate, generateSelfSignedCertificate, thumbprintOf } from './certificate.js';
import { sealPrivateKey, unsealPrivateKey } from './keystore.js';

/** What a generated certificate looks like (config `keys`, or the operator's flags). */
export interface GenerateOptions {
  kek: Buffer;
  use: KeyUse;
  subject: string;
  validityDays: number;
  keyBits: 2048 | 3072 | 4096;
  now?: Date;
}

/** The store lease of the node that runs the rollover (keys/key-ring.ts): held while any node runs. */
export const ROLLOVER_LEASE = 'key-rollover';

/** A certificate operation refused for a reason the operator can fix (one line). */
export class KeyRefused extends Error {
  override readonly name = 'KeyRefused';
}

/** The store refused a change another writer made stale: the operator's answer is one line, try again. */
async function conflictsRefused<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof KeyConflictError) throw new KeyRefused(`${err.message} (changed meanwhile by another node or command); look again with \`gatehouse keys status\``);
    throw err;
  }
}

async function audit(store: Store, type: string, details: AuditEvent['details'], at = new Date()): Promise<void> {
  await store.audit.append({ at, type, outcome: 'success', details });
}

/** Generates a self-signed certificate (as AD FS makes its own), seals its key and stores it as `status`. */
export async function generateKey(store: Store, opts: GenerateOptions, status: KeyStatus): Promise<KeyRecord> {
  const now = opts.now ?? new Date();
  const cert = await generateSelfSignedCertificate({ subject: opts.subject, validityDays: opts.validityDays, keyBits: opts.keyBits, now });
  return storeKey(store, { kek: opts.kek, use: opts.use, status, origin: 'generated', certificateDer: cert.certificateDer, privateKey: cert.privateKey, now });
}

/** Stores an imported certificate and key (keys/import.ts checked them), as `status`. */
export async function storeKey(
  store: Store,
  k: { kek: Buffer; use: KeyUse; status: KeyStatus; origin: KeyRecord['origin']; certificateDer: Buffer; privateKey: KeyObject; now?: Date },
): Promise<KeyRecord> {
  const id = thumbprintOf(k.certificateDer);
  if (await store.keys.get(id)) throw new KeyRefused(`certificate ${id} is already stored`);
  const c = describeCertificate(k.certificateDer);
  const record: KeyRecord = {
    id,
    use: k.use,
    status: k.status,
    origin: k.origin,
    certificateDer: k.certificateDer,
    sealedPrivateKey: sealPrivateKey(k.privateKey, k.kek, id),
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    createdAt: k.now ?? new Date(),
  };
  // A `next` or `active` slot holds one key per use: a second would leave which one is meant to chance.
  if (k.status === 'active' || k.status === 'next') {
    const holder = (await store.keys.list(k.use)).find((r) => r.status === k.status);
    if (holder) throw new KeyRefused(`a ${k.use} certificate is already ${k.status} (${holder.id}); retire it or add this one as another state`);
  }
  await conflictsRefused(store.keys.put(record));
  await audit(store, k.origin === 'generated' ? 'key.generated' : 'key.imported', { id, use: k.use, status: k.status }, record.createdAt);
  return record;
}

/**
 * Set-AdfsCertificate -IsPrimary: `id` (next, or previous) becomes the active key of its use and
 * the active one becomes previous — still published until it expires, so tokens it signed keep
 * verifying. Entra must know the certificate first; the caller checks (keys/rollover.ts).
 */
export async function promoteKey(store: Store, id: string, now = new Date()): Promise<{ promoted: KeyRecord; demoted: KeyRecord | undefined }> {
  const key = await store.keys.get(id);
  if (!key) throw new KeyRefused(`no certificate ${id}`);
  if (key.status === 'active') throw new KeyRefused(`certificate ${id} is already the active ${key.use} certificate`);
  if (key.status === 'retired') throw new KeyRefused(`certificate ${id} is retired`);
  if (key.notAfter.getTime() <= now.getTime()) throw new KeyRefused(`certificate ${id} expired on ${key.notAfter.toISOString().slice(0, 10)}`);
  const demoted = (await store.keys.list(key.use)).find((k) => k.status === 'active');
  // Compare-and-set, the old one first: a node or CLI that moved either key meanwhile makes this fail whole, never two active keys or none.
  await conflictsRefused(store.keys.update([...(demoted ? [{ id: demoted.id, status: 'previous' as const, expect: 'active' as const }] : []), { id, status: 'active', expect: key.status }]));
  await audit(store, 'key.promoted', { id, use: key.use, ...(demoted ? { demoted: demoted.id } : {}) }, now);
  return { promoted: { ...key, status: 'active' }, demoted: demoted && { ...demoted, status: 'previous' } };
}

/** Remove-AdfsCertificate (kept for the record): no longer used or published. The active key cannot be retired. */
export async function retireKey(store: Store, id: string, now = new Date()): Promise<void> {
  const key = await store.keys.get(id);
  if (!key) throw new KeyRefused(`no certificate ${id}`);
  if (key.status === 'active') throw new KeyRefused(`certificate ${id} is the active ${key.use} certificate: promote another one first`);
  if (key.status === 'retired') return;
  await conflictsRefused(store.keys.update([{ id, status: 'retired', expect: key.status }]));
  await audit(store, 'key.retired', { id, use: key.use }, now);
}

/**
 * Re-seals every private key under a new key-encryption key, all or none, after checking each
 * opens under the old one. The config's `keys.keyEncryptionKey` must be changed to the new one
 * before the next start; cookies sealed under the old one (SSO sessions) end with it.
 */
export async function rekey(store: Store, oldKek: Buffer, newKek: Buffer, now = new Date()): Promise<number> {
  // A running node would go on sealing new keys under the old key-encryption key.
  const lease = await store.sync.getLease(ROLLOVER_LEASE);
  if (lease && lease.expiresAt.getTime() > now.getTime()) throw new KeyRefused(`a Gatehouse node is running on this store (it holds the rollover lease until ${lease.expiresAt.toISOString()}): stop every node, then rekey`);
  const keys = await store.keys.list();
  const changes = keys.map((k) => ({ id: k.id, sealedPrivateKey: sealPrivateKey(unsealPrivateKey(k.sealedPrivateKey, oldKek, k.id), newKek, k.id) }));
  await store.keys.update(changes);
  await audit(store, 'key.rekeyed', { keys: keys.length });
  return keys.length;
}
