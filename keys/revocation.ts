// First: reflect-metadata and @peculiar/x509's crypto provider (keys/certificate.ts).
import './certificate.js';
import * as x509 from '@peculiar/x509';
import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fetch } from 'undici';
import { crlDistributionPoints } from './user-certificate.js';

/** The revocation answer for one certificate; `unknown` when no fresh, verified answer could be had. */
export type RevocationStatus = { status: 'good' | 'revoked'; source: string } | { status: 'unknown'; problem: string };

export interface RevocationOptions {
  /** Configured CRL files, used for their issuers instead of a download. */
  crlFiles: string[];
  fetchTimeoutMs: number;
  /** Longest a CRL is reused; never past its nextUpdate. */
  cacheMs: number;
}

/** A CRL is a list of every revoked serial: large ones exist, but not this large. */
const MAX_CRL_BYTES = 20 * 1024 * 1024;

interface Cached {
  crl: x509.X509Crl;
  until: number;
}

/**
 * CRL checking (RFC 5280 §6.3): the CRL of the issuer — a configured file whose issuer it is, else
 * the certificate's http distribution point — verified with the issuer's key, fresh (nextUpdate not
 * passed), cached until the earlier of its nextUpdate and `cacheMs`. One download at a time per
 * URL: a burst of sign-ins waits for the same fetch rather than each fetching the CRL.
 */
export class CrlChecker {
  private readonly cache = new Map<string, Promise<Cached>>();

  constructor(private readonly opts: RevocationOptions) {}

  async check(cert: X509Certificate, issuer: X509Certificate, now = new Date()): Promise<RevocationStatus> {
    const leaf = new x509.X509Certificate(new Uint8Array(cert.raw));
    const ca = new x509.X509Certificate(new Uint8Array(issuer.raw));
    const sources = [...this.opts.crlFiles.map((f) => `file:${f}`), ...crlDistributionPoints(cert)];
    const problems: string[] = [];
    for (const source of sources) {
      let crl: x509.X509Crl;
      try {
        crl = (await this.load(source, now)).crl;
      } catch (err) {
        problems.push(`${source}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      // A configured file may belong to another CA; a downloaded CRL must be the issuer's own.
      if (crl.issuerName.toString() !== ca.subjectName.toString() || !(await crl.verify({ publicKey: ca }))) {
        problems.push(`${source}: not a CRL signed by ${ca.subject}`);
        continue;
      }
      if (!crl.nextUpdate || crl.nextUpdate.getTime() <= now.getTime()) {
        problems.push(`${source}: stale (nextUpdate ${crl.nextUpdate?.toISOString() ?? 'absent'})`);
        continue;
      }
      return { status: crl.findRevoked(leaf) ? 'revoked' : 'good', source: `crl ${source}` };
    }
    return { status: 'unknown', problem: problems.length > 0 ? problems.join('; ') : 'no CRL for this certificate (no http distribution point, no configured file)' };
  }

  private load(source: string, now: Date): Promise<Cached> {
    const cached = this.cache.get(source);
    const fresh = cached?.then((c) => (c.until > now.getTime() ? c : undefined), () => undefined);
    const loading = (async () => (await fresh) ?? this.read(source, now))();
    this.cache.set(source, loading);
    // A failed read is not kept: the next sign-in tries again.
    loading.catch(() => {
      if (this.cache.get(source) === loading) this.cache.delete(source);
    });
    return loading;
  }

  private async read(source: string, now: Date): Promise<Cached> {
    const bytes = source.startsWith('file:') ? await readFile(source.slice(5)) : await download(source, this.opts.fetchTimeoutMs);
    const crl = new x509.X509Crl(pemOrDer(bytes));
    const until = Math.min(now.getTime() + this.opts.cacheMs, crl.nextUpdate?.getTime() ?? 0);
    return { crl, until };
  }
}

/** An HTTP GET with a time limit and a size cap, for a CRL or an OCSP answer. */
export async function download(url: string, timeoutMs: number, init: { method?: 'GET' | 'POST'; body?: Buffer; contentType?: string } = {}): Promise<Buffer> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    ...(init.body ? { body: init.body, headers: { 'content-type': init.contentType ?? 'application/octet-stream' } } : {}),
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_CRL_BYTES) throw new Error(`larger than ${MAX_CRL_BYTES} bytes`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_CRL_BYTES) throw new Error(`larger than ${MAX_CRL_BYTES} bytes`);
  return body;
}

/** @peculiar/x509 reads PEM text or DER bytes. */
function pemOrDer(bytes: Buffer): Uint8Array<ArrayBuffer> | string {
  return bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN') ? bytes.toString('latin1') : new Uint8Array(bytes);
}

type Check = (cert: X509Certificate, issuer: X509Certificate) => Promise<RevocationStatus>;

/**
 * The configured revocation method (certificateAuth.revocation.mode) as one check: CRL, OCSP, or
 * both — OCSP first (one small answer), the CRL when OCSP gives none — or undefined for none.
 */
export function revocationCheck(mode: 'crl' | 'ocsp' | 'both' | 'none', crl: { check: Check }, ocsp: { check: Check }): Check | undefined {
  switch (mode) {
    case 'none':
      return undefined;
    case 'crl':
      return (cert, issuer) => crl.check(cert, issuer);
    case 'ocsp':
      return (cert, issuer) => ocsp.check(cert, issuer);
    case 'both':
      return async (cert, issuer) => {
        const first = await ocsp.check(cert, issuer);
        if (first.status !== 'unknown') return first;
        const second = await crl.check(cert, issuer);
        return second.status !== 'unknown' ? second : { status: 'unknown', problem: `${first.problem}; ${second.problem}` };
      };
  }
}
