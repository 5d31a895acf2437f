import type { KeyRecord, Store } from '../store/types.js';
import { generateSelfSignedCertificate } from './certificate.js';
import { sealPrivateKey, unsealPrivateKey } from './keystore.js';
import { softwareSigner, type Signer } from './signer.js';

export interface SigningKeyOptions {
  kek: Buffer;
  subject: string;
  validityDays: number;
  keyBits: 2048 | 3072 | 4096;
}

/** Generates a token-signing key pair, seals it and stores it with the given status. */
export async function generateSigningKey(store: Store, opts: SigningKeyOptions, status: KeyRecord['status'] = 'active'): Promise<KeyRecord> {
  const cert = await generateSelfSignedCertificate({ subject: opts.subject, validityDays: opts.validityDays, keyBits: opts.keyBits });
  const record: KeyRecord = {
    id: cert.thumbprint,
    use: 'signing',
    status,
    certificateDer: cert.certificateDer,
    sealedPrivateKey: sealPrivateKey(cert.privateKey, opts.kek, cert.thumbprint),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    createdAt: new Date(),
  };
  await store.keys.put(record);
  await store.audit.append({ at: new Date(), type: 'key.generated', outcome: 'success', details: { id: record.id, use: 'signing', status } });
  return record;
}

/** The active signing key, made on first start so a new install signs without a manual step (as AD FS does). */
export async function ensureActiveSigningKey(store: Store, opts: SigningKeyOptions): Promise<KeyRecord> {
  const active = (await store.keys.list('signing')).find((k) => k.status === 'active');
  return active ?? generateSigningKey(store, opts);
}

/** The signer of a stored key; the private key is unsealed once, here, not per signature. */
export function signerFor(record: KeyRecord, kek: Buffer): Signer {
  return softwareSigner(unsealPrivateKey(record.sealedPrivateKey, kek, record.id), record.certificateDer, record.id);
}

/** Certificates relying parties must accept now: the active one and the next one (ENTRA.md §1.4). */
export async function publishedSigningCertificates(store: Store): Promise<KeyRecord[]> {
  const keys = await store.keys.list('signing');
  return [...keys.filter((k) => k.status === 'active'), ...keys.filter((k) => k.status === 'next')];
}
