import { derToPem, generateCertificate, type CertificateIssuer } from '../../keys/certificate.js';
import * as x509 from '@peculiar/x509';
import { webcrypto, type KeyObject } from 'node:crypto';

/**
 * Certificates for tests, all made by keys/certificate.ts (@peculiar/x509): a throwaway CA, TLS
 * server certificates it issues for loopback test parties, and self-signed signing certificates.
 * Tests that want an independent judge of these still check them with the openssl CLI.
 */

/** Long enough for any run, short enough that a leaked file is soon worthless. */
const VALIDITY_DAYS = 30;

const keyPemOf = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A test CA: pass it as `issuer` to keys/certificate.ts, or trust `certPem` in a client. */
export interface TestCa extends CertificateIssuer {
  certPem: string;
}

export interface ServerTls {
  keyPem: string;
  certPem: string;
}

/** A throwaway signing identity: key and self-signed certificate in every form tests need. */
export interface TestCert {
  keyPem: string;
  certPem: string;
  certDer: Buffer;
  key: KeyObject;
  /** SHA-1 of the DER certificate, hex upper-case (the `Signer.thumbprint` convention). */
  thumbprint: string;
  /** Graph's form of the certificate (ENTRA.md §1.2): base64 DER, no PEM armour. */
  base64Der: string;
}

export async function makeTestCa(commonName = 'Gatehouse Test CA'): Promise<TestCa> {
  const ca = await generateCertificate({ subject: `CN=${commonName}`, ca: true, validityDays: VALIDITY_DAYS, keyBits: 2048 });
  return { certificateDer: ca.certificateDer, privateKey: ca.privateKey, certPem: derToPem(ca.certificateDer) };
}

/**
 * A TLS server certificate issued by `ca` whose SAN holds every given address and name, so
 * clients verify against the CA alone (no rejectUnauthorized=false). The CN is the first name.
 * `validityDays` other than the default makes one `doctor` finds far from or near expiry.
 */
export async function makeServerCert(ca: TestCa, names: { ipAddresses?: string[]; dnsNames?: string[] }, validityDays = VALIDITY_DAYS): Promise<ServerTls> {
  const commonName = names.dnsNames?.[0] ?? names.ipAddresses?.[0];
  if (!commonName) throw new Error('a server certificate needs a host name or an IP address');
  const cert = await generateCertificate({
    subject: `CN=${commonName}`, issuer: ca, serverAuth: true, ...names, validityDays, keyBits: 2048,
  });
  return { keyPem: keyPemOf(cert.privateKey), certPem: derToPem(cert.certificateDer) };
}

/** A self-signed TLS certificate for a loopback server (localhost, 127.0.0.1); clients trust `certPem` itself. */
export async function makeLocalhostTls(): Promise<ServerTls> {
  const cert = await generateCertificate({
    subject: 'CN=localhost', serverAuth: true, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: VALIDITY_DAYS, keyBits: 2048,
  });
  return { keyPem: keyPemOf(cert.privateKey), certPem: derToPem(cert.certificateDer) };
}

/** A self-signed RSA-2048 certificate + key, as a token signer or a client certificate uses. */
export async function makeTestCert(commonName = 'Gatehouse Test Signing'): Promise<TestCert> {
  const cert = await generateCertificate({ subject: `CN=${commonName}`, validityDays: VALIDITY_DAYS, keyBits: 2048 });
  return {
    keyPem: keyPemOf(cert.privateKey),
    certPem: derToPem(cert.certificateDer),
    certDer: cert.certificateDer,
    key: cert.privateKey,
    thumbprint: cert.thumbprint,
    base64Der: cert.certificateDer.toString('base64'),
  };
}

/** A user's sign-in certificate (smart card style) and its key, PEM, as a TLS client presents them. */
export interface UserCert {
  certPem: string;
  keyPem: string;
  certDer: Buffer;
  /** Hex, as the certificate encodes it (what a CRL entry names). */
  serial: string;
}

/**
 * A client certificate issued by `ca`: client-auth (and smart card logon) EKU unless `eku` says
 * otherwise, the UPN in the SAN otherName 1.3.6.1.4.1.311.20.2.3 when given, an http CRL
 * distribution point and an OCSP responder (AIA) when given.
 */
export async function makeUserCert(ca: TestCa, p: { subject: string; upn?: string; crlUrl?: string; ocspUrl?: string; eku?: string[] }): Promise<UserCert> {
  const extensions: x509.Extension[] = [new x509.ExtendedKeyUsageExtension(p.eku ?? [x509.ExtendedKeyUsage.clientAuth, '1.3.6.1.4.1.311.20.2.2'])];
  if (p.upn) extensions.push(new x509.SubjectAlternativeNameExtension([{ type: 'upn', value: p.upn }]));
  if (p.crlUrl) extensions.push(new x509.CRLDistributionPointsExtension([p.crlUrl]));
  if (p.ocspUrl) extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: p.ocspUrl }));
  const cert = await generateCertificate({ subject: p.subject, issuer: ca, validityDays: VALIDITY_DAYS, keyBits: 2048, extensions });
  return { certPem: derToPem(cert.certificateDer), keyPem: keyPemOf(cert.privateKey), certDer: cert.certificateDer, serial: new x509.X509Certificate(new Uint8Array(cert.certificateDer)).serialNumber };
}

/** A CRL of `ca` revoking these serials, valid from now for `hours` (negative: one already stale), DER. */
export async function makeCrl(ca: TestCa, revokedSerials: string[], hours = 24): Promise<Buffer> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', ca.privateKey.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign']);
  const caCert = new x509.X509Certificate(new Uint8Array(ca.certificateDer));
  const now = Date.now();
  const crl = await x509.X509CrlGenerator.create({
    issuer: caCert.subjectName.toJSON(),
    thisUpdate: new Date(Math.min(now, now + hours * 3_600_000) - 3_600_000),
    nextUpdate: new Date(now + hours * 3_600_000),
    entries: revokedSerials.map((serialNumber) => ({ serialNumber, revocationDate: new Date(now - 60_000) })),
    signingKey: signingKey as never,
    signingAlgorithm: alg,
  });
  return Buffer.from(crl.rawData);
}
