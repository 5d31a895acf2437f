import { X509Certificate } from 'node:crypto';
import type { RevocationStatus } from './revocation.js';
import { EKU, extendedKeyUsages } from './user-certificate.js';

/** Why a client certificate cannot sign anyone in; each has its own page text and audit reason. */
export type CertificateRefusal =
  | 'no-certificate'
  | 'certificate-untrusted'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'certificate-purpose'
  | 'certificate-invalid'
  | 'certificate-revoked'
  | 'revocation-unavailable';

export type CertificateCheck =
  | { ok: true; der: Buffer; revocation: 'good' | 'unchecked' | 'off'; detail?: string }
  | { ok: false; reason: CertificateRefusal; detail?: string };

/** What the TLS handshake established: the client's chain as OpenSSL built it (leaf first) and its verdict. */
export interface PresentedChain {
  /** DER certificates, leaf first, ending at a configured CA when the chain verified. */
  chain: Buffer[];
  /** OpenSSL's verification error code (node's `authorizationError`), absent when it verified. */
  tlsError?: string | undefined;
}

/** How the chain is checked for revocation: one answer per certificate and its issuer. */
export type RevocationCheck = (cert: X509Certificate, issuer: X509Certificate) => Promise<RevocationStatus>;

/*
 * OpenSSL's verdicts (X509_V_ERR_*, as node names them) that mean the chain does not end at a CA
 * we were told to trust.
 */
const UNTRUSTED = new Set(['UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED']);
const BY_TLS_ERROR: Record<string, CertificateRefusal> = {
  CERT_HAS_EXPIRED: 'certificate-expired',
  CERT_NOT_YET_VALID: 'certificate-not-yet-valid',
  INVALID_PURPOSE: 'certificate-purpose',
};

/**
 * Decides whether a client certificate from the TLS handshake may sign someone in. The chain,
 * its signatures, validity periods, CA constraints and key usage are OpenSSL's verification in
 * the handshake against the configured CAs only (node:tls `ca`), with the TLS client purpose
 * (an EKU, when present, must allow client authentication, as Schannel requires for AD FS).
 * Here: the verdict read, an EKU required (client authentication or smart card logon: a
 * certificate for any purpose is not a sign-in certificate), then revocation of every
 * certificate but the root (AD FS's default CheckChainExcludeRoot), hard- or soft-fail.
 */
export class CertificateValidator {
  constructor(
    private readonly opts: {
      /** Absent: revocation is not checked (config revocation.mode none). */
      revocation?: RevocationCheck | undefined;
      failMode: 'soft' | 'hard';
    },
  ) {}

  async validate(presented: PresentedChain): Promise<CertificateCheck> {
    const [leafDer] = presented.chain;
    if (!leafDer) return { ok: false, reason: 'no-certificate' };
    if (presented.tlsError) {
      const reason = UNTRUSTED.has(presented.tlsError) ? 'certificate-untrusted' : (BY_TLS_ERROR[presented.tlsError] ?? 'certificate-invalid');
      return { ok: false, reason, detail: presented.tlsError };
    }
    const chain = presented.chain.map((der) => new X509Certificate(der));
    const leaf = chain[0]!;
    const usages = extendedKeyUsages(leaf);
    if (!usages.includes(EKU.clientAuth) && !usages.includes(EKU.smartCardLogon)) {
      return { ok: false, reason: 'certificate-purpose', detail: usages.length ? `EKU ${usages.join(' ')}` : 'no EKU' };
    }
    if (!this.opts.revocation) return { ok: true, der: leafDer, revocation: 'off' };
    // Without its issuer (a chain cut short, e.g. on a resumed TLS session) the leaf cannot be checked: no answer, not "good".
    const unknown: string[] = chain.length < 2 ? ['the issuer of the certificate is not known here'] : [];
    for (let i = 0; i + 1 < chain.length; i++) {
      const answer = await this.opts.revocation(chain[i]!, chain[i + 1]!);
      if (answer.status === 'revoked') return { ok: false, reason: 'certificate-revoked', detail: `${chain[i]!.subject.replace(/\n/g, ', ')} (${answer.source})` };
      if (answer.status === 'unknown') unknown.push(answer.problem);
    }
    if (unknown.length === 0) return { ok: true, der: leafDer, revocation: 'good' };
    if (this.opts.failMode === 'hard') return { ok: false, reason: 'revocation-unavailable', detail: unknown.join('; ') };
    return { ok: true, der: leafDer, revocation: 'unchecked', detail: unknown.join('; ') };
  }
}
