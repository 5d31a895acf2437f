import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, KeyObject, webcrypto } from 'node:crypto';

// `as never`: @peculiar/x509 types the provider as DOM Crypto, which Node's webcrypto implements.
x509.cryptoProvider.set(webcrypto as never);

export interface GeneratedCertificate {
  certificateDer: Buffer;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  thumbprint: string;
}

/** SHA-1 thumbprint, hex upper-case: the form AD FS and Entra show certificates by. */
export function thumbprintOf(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

/**
 * A self-signed RSA certificate for token signing (AD FS makes the same kind). Entra reads only
 * the public key from it (ENTRA.md §1.2), so a CA chain adds nothing.
 */
export async function generateSelfSignedCertificate(opts: {
  subject: string; // e.g. 'CN=ADFS Signing - sts.corp.example.com'
  validityDays: number;
  keyBits: 2048 | 3072 | 4096;
  now?: Date;
  dnsNames?: string[];
  ipAddresses?: string[];
  serverAuth?: boolean;
}): Promise<GeneratedCertificate> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: opts.keyBits };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = opts.now ?? new Date();
  // Back-date a little so a node whose clock is slightly behind still accepts the certificate.
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(now.getTime() + opts.validityDays * 86_400_000);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (opts.serverAuth ? x509.KeyUsageFlags.keyEncipherment : 0), true),
  ];
  if (opts.serverAuth) extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  const names = [...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value }))];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: opts.subject,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: alg,
    extensions,
  });
  const certificateDer = Buffer.from(cert.rawData);
  return { certificateDer, privateKey: KeyObject.from(keys.privateKey), notBefore, notAfter, thumbprint: thumbprintOf(certificateDer) };
}

export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export function describeCertificate(der: Buffer): { subject: string; notBefore: Date; notAfter: Date; thumbprint: string; keyBits: number | undefined } {
  const cert = new x509.X509Certificate(new Uint8Array(der));
  const alg = cert.publicKey.algorithm as webcrypto.RsaHashedKeyAlgorithm;
  return { subject: cert.subject, notBefore: cert.notBefore, notAfter: cert.notAfter, thumbprint: thumbprintOf(der), keyBits: alg.modulusLength };
}
