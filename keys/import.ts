import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

/** Why a certificate cannot be imported, in one line an operator can act on. */
export class ImportRejected extends Error {
  override readonly name = 'ImportRejected';
}

export interface ImportedCertificate {
  certificateDer: Buffer;
  privateKey: KeyObject;
  /** How many certificates the file held: a PFX from a CA often carries its chain too. */
  certificates: number;
}

// PKCS#12 bag types (RFC 7292 §4.2).
const BAG = { key: '1.2.840.113549.1.12.10.1.1', shroudedKey: '1.2.840.113549.1.12.10.1.2', cert: '1.2.840.113549.1.12.10.1.3' } as const;

/** AD FS refuses token-signing keys under 2048 bits, as does Entra (RSA only). */
const MIN_KEY_BITS = 2048;

/**
 * A PKCS#12 (.pfx/.p12) file: node-forge decrypts it (PBES2/AES as OpenSSL 3 writes, and the
 * PKCS#12 3DES/RC2 modes Windows still exports). Exactly one private key; the certificate is the
 * one whose public key matches it, the rest of a chain is not needed (Entra reads only the signing
 * certificate's public key, ENTRA.md §1.2).
 */
export function readPfx(file: Buffer, password: string, now = new Date()): ImportedCertificate {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(file.toString('binary'))), password);
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (/password|MAC/i.test(message)) throw new ImportRejected('the PFX password is wrong');
    throw new ImportRejected(`not a PKCS#12 (PFX) file: ${message.split('\n')[0]}`);
  }
  const bags = (type: string): forge.pkcs12.Bag[] => p12.getBags({ bagType: type })[type] ?? [];
  const keyBags = [...bags(BAG.shroudedKey), ...bags(BAG.key)];
  const certBags = bags(BAG.cert);
  if (keyBags.length === 0 || !keyBags[0]?.key) throw new ImportRejected('the PFX holds no private key (export it with the private key)');
  if (keyBags.length > 1) throw new ImportRejected(`the PFX holds ${keyBags.length} private keys; export one certificate with its key`);
  const keyPem = forge.pki.privateKeyToPem(keyBags[0].key);
  const certificates = certBags.flatMap((b) => (b.cert ? [Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(b.cert)).getBytes(), 'binary')] : []));
  return matched(createPrivateKey(keyPem), certificates, now);
}

/** A PEM certificate (chain) and its PEM private key, PKCS#8 or PKCS#1, encrypted when `password` is given. */
export function readPem(certificatePem: string, keyPem: string, password?: string, now = new Date()): ImportedCertificate {
  const certificates = [...certificatePem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]).raw);
  if (certificates.length === 0) throw new ImportRejected('the certificate file holds no PEM certificate');
  let key: KeyObject;
  try {
    key = createPrivateKey(password === undefined ? keyPem : { key: keyPem, passphrase: password });
  } catch (err) {
    const message = (err as Error).message;
    // OpenSSL says "interrupted or cancelled" when an encrypted key is read without a passphrase.
    if (/passphrase|decrypt|bad password|interrupted or cancelled/i.test(message)) throw new ImportRejected(password === undefined ? 'the private key is encrypted: give its password' : 'the private key password is wrong');
    throw new ImportRejected(`the key file holds no readable private key: ${message}`);
  }
  return matched(key, certificates, now);
}

function matched(privateKey: KeyObject, certificates: Buffer[], now: Date): ImportedCertificate {
  if (privateKey.asymmetricKeyType !== 'rsa') throw new ImportRejected(`the key is ${privateKey.asymmetricKeyType?.toUpperCase() ?? 'of an unknown type'}; token signing needs RSA`);
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_KEY_BITS) throw new ImportRejected(`the key has ${bits} bits; at least ${MIN_KEY_BITS} are needed`);
  const publicDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const own = certificates.find((der) => new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }).equals(publicDer));
  if (!own) throw new ImportRejected(`none of the ${certificates.length} certificates belongs to the private key`);
  const cert = new X509Certificate(own);
  if (new Date(cert.validTo).getTime() <= now.getTime()) throw new ImportRejected(`the certificate expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}`);
  return { certificateDer: own, privateKey, certificates: certificates.length };
}
