import { BasicOCSPResponse, CertID, OCSPRequest, OCSPResponse, OCSPResponseStatus, Request, TBSRequest, id_kp_OCSPSigning, id_pkix_ocsp_basic } from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { download, type RevocationStatus } from './revocation.js';
import { extendedKeyUsages, ocspResponders } from './user-certificate.js';

/** Signature algorithms of OCSP answers we verify, by OID (RFC 4055, RFC 5758). */
const HASH_OF: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const SHA1 = '1.3.14.3.2.26';
/** Clock difference allowed between us and the responder for thisUpdate. */
const SKEW_MS = 5 * 60_000;

interface Cached {
  answer: RevocationStatus;
  until: number;
}

/**
 * OCSP (RFC 6960) for one certificate: a request for its CertID (SHA-1 hashes of the issuer's
 * name and key, as every responder accepts) POSTed to the AIA responder, the BasicOCSPResponse
 * verified — signed by the issuer itself or by a responder certificate the issuer issued for
 * OCSP signing (§4.2.2.2) — the single response for that CertID read, and current (thisUpdate not
 * in the future, nextUpdate not passed). ASN.1 is @peculiar/asn1-ocsp's; no nonce is sent (AD CS
 * and most CAs pre-sign answers), so freshness rests on the validity window. Good and revoked
 * answers are cached until the earlier of nextUpdate and `cacheMs`.
 */
export class OcspChecker {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly opts: { fetchTimeoutMs: number; cacheMs: number }) {}

  async check(cert: X509Certificate, issuer: X509Certificate, now = new Date()): Promise<RevocationStatus> {
    const urls = ocspResponders(cert);
    if (urls.length === 0) return { status: 'unknown', problem: 'no OCSP responder in the certificate' };
    const id = certId(cert, issuer);
    const key = Buffer.from(AsnConvert.serialize(id)).toString('base64');
    const cached = this.cache.get(key);
    if (cached && cached.until > now.getTime()) return cached.answer;
    const problems: string[] = [];
    for (const url of urls) {
      try {
        const { answer, until } = await this.ask(url, id, issuer, now);
        if (answer.status !== 'unknown') this.cache.set(key, { answer, until: Math.min(until, now.getTime() + this.opts.cacheMs) });
        return answer;
      } catch (err) {
        problems.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { status: 'unknown', problem: problems.join('; ') };
  }

  private async ask(url: string, id: CertID, issuer: X509Certificate, now: Date): Promise<Cached> {
    const request = new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: id })] }) });
    const body = await download(url, this.opts.fetchTimeoutMs, { method: 'POST', body: Buffer.from(AsnConvert.serialize(request)), contentType: 'application/ocsp-request' });
    const response = AsnConvert.parse(body, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful || !response.responseBytes) throw new Error(`responder status ${OCSPResponseStatus[response.responseStatus] ?? response.responseStatus}`);
    if (response.responseBytes.responseType !== id_pkix_ocsp_basic) throw new Error(`response type ${response.responseBytes.responseType}`);
    const basic = AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
    if (!signedByIssuerOrDelegate(basic, issuer, now)) throw new Error('answer not signed by the issuer or a responder it authorised');
    const single = basic.tbsResponseData.responses.find((r) => sameCertId(r.certID, id));
    if (!single) throw new Error('answer is about another certificate');
    if (single.thisUpdate.getTime() > now.getTime() + SKEW_MS) throw new Error('answer from the future (thisUpdate)');
    if (single.nextUpdate && single.nextUpdate.getTime() <= now.getTime()) throw new Error(`stale answer (nextUpdate ${single.nextUpdate.toISOString()})`);
    const until = single.nextUpdate?.getTime() ?? now.getTime();
    const source = `ocsp ${url}`;
    if (single.certStatus.revoked) return { answer: { status: 'revoked', source }, until };
    if (single.certStatus.good !== undefined) return { answer: { status: 'good', source }, until };
    return { answer: { status: 'unknown', problem: `${url}: the responder does not know the certificate` }, until };
  }
}

/** RFC 6960 §4.1.1 CertID with SHA-1: hash of the issuer's DER name, hash of its public key's bits. */
function certId(cert: X509Certificate, issuer: X509Certificate): CertID {
  const issuerAsn = AsnConvert.parse(issuer.raw, Certificate).tbsCertificate;
  const sha1 = (data: ArrayBuffer) => new OctetString(createHash('sha1').update(Buffer.from(data)).digest());
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1, parameters: null }),
    issuerNameHash: sha1(AsnConvert.serialize(issuerAsn.subject)),
    issuerKeyHash: sha1(issuerAsn.subjectPublicKeyInfo.subjectPublicKey),
    serialNumber: AsnConvert.parse(cert.raw, Certificate).tbsCertificate.serialNumber,
  });
}

function sameCertId(a: CertID, b: CertID): boolean {
  return a.hashAlgorithm.algorithm === b.hashAlgorithm.algorithm
    && Buffer.from(a.issuerNameHash.buffer).equals(Buffer.from(b.issuerNameHash.buffer))
    && Buffer.from(a.issuerKeyHash.buffer).equals(Buffer.from(b.issuerKeyHash.buffer))
    && Buffer.from(a.serialNumber).equals(Buffer.from(b.serialNumber));
}

/** The issuer signed it, or a current certificate in the answer that the issuer issued with the OCSP-signing EKU. */
function signedByIssuerOrDelegate(basic: BasicOCSPResponse, issuer: X509Certificate, now: Date): boolean {
  const hash = HASH_OF[basic.signatureAlgorithm.algorithm];
  const signed = basic.tbsResponseDataRaw;
  if (!hash || !signed) return false;
  const delegates = (basic.certs ?? [])
    .map((c) => new X509Certificate(Buffer.from(AsnConvert.serialize(c))))
    .filter((c) => c.checkIssued(issuer) && c.verify(issuer.publicKey) && extendedKeyUsages(c).includes(id_kp_OCSPSigning) && Date.parse(c.validFrom) <= now.getTime() && now.getTime() < Date.parse(c.validTo));
  return [issuer, ...delegates].some((signer) => verify(hash, Buffer.from(signed), signer.publicKey, Buffer.from(basic.signature)));
}
