import type { KeyObject } from 'node:crypto';
import { derToPem, generateCertificate, type CertificateIssuer } from '../../keys/certificate.js';

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
