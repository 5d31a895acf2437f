// First: sets reflect-metadata and @peculiar/x509's crypto provider, which @peculiar/x509 needs loaded before it.
import './certificate.js';
import * as x509 from '@peculiar/x509';
import { createHash, X509Certificate } from 'node:crypto';

/** Extended key usages a sign-in certificate may carry (RFC 5280 §4.2.1.12; Microsoft's smart card logon). */
export const EKU = {
  clientAuth: '1.3.6.1.5.5.7.3.2',
  smartCardLogon: '1.3.6.1.4.1.311.20.2.2',
} as const;

/** What a user certificate says about whom it names, as AD matches it (MS-PKCA 3.1.5.2.1). */
export interface CertificateNames {
  /** UPNs in SAN otherName 1.3.6.1.4.1.311.20.2.3 (@peculiar/x509 reads that otherName as type `upn`). */
  upns: string[];
  /** The altSecurityIdentities values AD would hold for this certificate (MS-PKCA 3.1.5.2.1.3). */
  altSecurityIdentities: string[];
  subject: string;
  issuer: string;
  /** Hex, as the certificate encodes it. */
  serial: string;
  /** SHA-1 of the DER certificate, hex upper-case. */
  thumbprint: string;
}

/**
 * A Name as Windows writes it into altSecurityIdentities: RDNs in encoding order (the root first,
 * e.g. `DC=com,DC=contoso,CN=Users,CN=user`), joined by commas with no spaces, stateOrProvince as
 * `S` (CryptoAPI's X.500 short names).
 */
function windowsName(name: x509.Name): string {
  return name
    .toJSON()
    .map((rdn) => Object.entries(rdn).map(([type, values]) => values.map((v) => `${type === 'ST' ? 'S' : type}=${v}`).join('+')).join('+'))
    .join(',');
}

/**
 * The strong and weak mappings of MS-PKCA 3.1.5.2.1.3 for this certificate. `<SR>` is the serial
 * with its bytes reversed (CryptoAPI keeps integers little-endian; the form `certutil` prints and
 * administrators paste). `<SHA1-PUKEY>` is documented as the SHA-1 of the public key while tools
 * write the certificate's SHA-1 thumbprint there; both are proofs of this one certificate, so both
 * are offered. All comparisons are AD's (altSecurityIdentities is case-insensitive Unicode).
 */
export function certificateNames(der: Buffer): CertificateNames {
  const cert = new x509.X509Certificate(new Uint8Array(der));
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const upns = (san?.names.items ?? []).filter((n) => n.type === 'upn').map((n) => n.value);
  const issuer = windowsName(cert.issuerName);
  const subject = windowsName(cert.subjectName);
  const serialBytes = Buffer.from(cert.serialNumber.length % 2 ? `0${cert.serialNumber}` : cert.serialNumber, 'hex');
  const values = [
    `X509:<I>${issuer}<S>${subject}`,
    `X509:<I>${issuer}<SR>${Buffer.from(serialBytes).reverse().toString('hex')}`,
    `X509:<SHA1-PUKEY>${createHash('sha1').update(der).digest('hex')}`,
    `X509:<SHA1-PUKEY>${createHash('sha1').update(Buffer.from(cert.publicKey.rawData)).digest('hex')}`,
  ];
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) values.push(`X509:<SKI>${ski.keyId}`);
  return {
    upns,
    altSecurityIdentities: values,
    subject: cert.subject,
    issuer: cert.issuer,
    serial: cert.serialNumber,
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
  };
}

/** The certificate's extended key usages (empty when it has none: any purpose). */
export function extendedKeyUsages(cert: X509Certificate): string[] {
  const parsed = new x509.X509Certificate(new Uint8Array(cert.raw));
  return (parsed.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []).map(String);
}

/** URLs of the CRL distribution points (RFC 5280 §4.2.1.13), http(s) only: LDAP CDPs are not fetched. */
export function crlDistributionPoints(cert: X509Certificate): string[] {
  const parsed = new x509.X509Certificate(new Uint8Array(cert.raw));
  const cdp = parsed.getExtension(x509.CRLDistributionPointsExtension);
  const urls: string[] = [];
  for (const point of cdp?.distributionPoints ?? []) {
    for (const name of point.distributionPoint?.fullName ?? []) {
      const url = name.uniformResourceIdentifier;
      if (url && /^https?:\/\//i.test(url)) urls.push(url);
    }
  }
  return urls;
}

/** OCSP responder URLs of the AIA extension (RFC 5280 §4.2.2.1). */
export function ocspResponders(cert: X509Certificate): string[] {
  const parsed = new x509.X509Certificate(new Uint8Array(cert.raw));
  const aia = parsed.getExtension(x509.AuthorityInfoAccessExtension);
  return (aia?.ocsp ?? []).filter((n) => n.type === 'url' && /^https?:\/\//i.test(n.value)).map((n) => n.value);
}
