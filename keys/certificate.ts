import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, KeyObject, webcrypto } from 'node:crypto';

// `as never`: @peculiar/x509 types the provider as DOM Crypto, which Node's webcrypto implements.
x509.cryptoProvider.set(webcrypto as never);

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

export interface GeneratedCertificate {
  certificateDer: Buffer;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  thumbprint: string;
}

/** The CA that signs a certificate: its certificate (for the issuer name and key id) and its RSA key. */
export interface CertificateIssuer {
  certificateDer: Buffer;
  privateKey: KeyObject;
}

export interface CertificateOptions {
  subject: string; // e.g. 'CN=ADFS Signing - sts.corp.example.com'
  validityDays: number;
  keyBits: 2048 | 3072 | 4096;
  now?: Date;
  /** Absent: the certificate signs itself. */
  issuer?: CertificateIssuer;
  /** A CA certificate (keyCertSign) rather than an end-entity one. */
  ca?: boolean;
  dnsNames?: string[];
  ipAddresses?: string[];
  serverAuth?: boolean;
  /** Further extensions as they are (user certificates: SAN UPN, client-auth EKU, CRL distribution point). */
  extensions?: x509.Extension[];
}

/** SHA-1 thumbprint, hex upper-case: the form AD FS and Entra show certificates by. */
export function thumbprintOf(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

/** RFC 5280 §4.1.2.2: a positive serial of up to 20 octets; 16 random ones, high bit cleared. */
function randomSerial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

function extensionsFor(opts: CertificateOptions): x509.Extension[] {
  const usage = opts.ca
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
    : x509.KeyUsageFlags.digitalSignature | (opts.serverAuth ? x509.KeyUsageFlags.keyEncipherment : 0);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.ca ?? false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
  ];
  if (opts.serverAuth) extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  const names = [...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value }))];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  return [...extensions, ...(opts.extensions ?? [])];
}

/**
 * The signing side of a certificate: the issuer's name taken byte for byte from its certificate,
 * and an authority key id equal to its subject key id (RFC 5280 §4.2.1.1) so verifiers that
 * match chains by key id (OpenSSL, GnuTLS in Samba) find the CA.
 */
async function signingSide(issuer: CertificateIssuer): Promise<{ name: x509.Name; signingKey: webcrypto.CryptoKey; keyId: x509.Extension }> {
  const cert = new x509.X509Certificate(new Uint8Array(issuer.certificateDer));
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : await x509.AuthorityKeyIdentifierExtension.create(cert.publicKey);
  // Node 20 has no KeyObject.toCryptoKey; PKCS#8 is the lossless way across.
  const pkcs8 = issuer.privateKey.export({ type: 'pkcs8', format: 'der' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, RSA_SHA256, false, ['sign']);
  return { name: cert.subjectName, signingKey, keyId };
}

/** An RSA certificate with a fresh key, signed by `issuer` or by itself. */
export async function generateCertificate(opts: CertificateOptions): Promise<GeneratedCertificate> {
  const alg = { ...RSA_SHA256, publicExponent: new Uint8Array([1, 0, 1]), modulusLength: opts.keyBits };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = opts.now ?? new Date();
  // Back-date a little so a node whose clock is slightly behind still accepts the certificate.
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(now.getTime() + opts.validityDays * 86_400_000);
  const extensions = extensionsFor(opts);
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  const signer = opts.issuer ? await signingSide(opts.issuer) : undefined;
  if (signer) extensions.push(signer.keyId);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: opts.subject,
    issuer: signer?.name ?? opts.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: signer?.signingKey ?? keys.privateKey,
    signingAlgorithm: RSA_SHA256,
    extensions,
  });
  const certificateDer = Buffer.from(cert.rawData);
  return { certificateDer, privateKey: KeyObject.from(keys.privateKey), notBefore, notAfter, thumbprint: thumbprintOf(certificateDer) };
}

/**
 * A self-signed RSA certificate for token signing (AD FS makes the same kind). Entra reads only
 * the public key from it (ENTRA.md §1.2), so a CA chain adds nothing.
 */
export async function generateSelfSignedCertificate(opts: Omit<CertificateOptions, 'issuer' | 'ca'>): Promise<GeneratedCertificate> {
  return generateCertificate(opts);
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

/**
 * A self-signed HTTPS listener certificate for `host` (and localhost), PEM: what `gatehouse init`
 * writes so `serve` works at once, until a CA-issued one replaces it (browsers warn about a
 * self-signed one whatever its lifetime; 825 days keeps it within the CA/B Forum's old maximum).
 */
export async function selfSignedTlsPem(host: string): Promise<{ certPem: string; keyPem: string }> {
  const tls = await generateSelfSignedCertificate({
    subject: `CN=${host}`,
    validityDays: 825,
    keyBits: 2048,
    dnsNames: [host, 'localhost'],
    ipAddresses: ['127.0.0.1'],
    serverAuth: true,
  });
  return { certPem: derToPem(tls.certificateDer), keyPem: tls.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}
