import { SealedValues } from '../../keys/sealing.js';

/** The login page's link to the certificate listener: which sign-in to resume, for which browser. */
interface Hop {
  /** Path and query of the sign-in on the main listener (the adapter's resume URL, never a host). */
  resume: string;
  /** A CSRF token issued to the browser that opened the login page (sts/http/csrf.ts). */
  csrf: string;
  exp: number;
}

/** The certificate listener's answer: the validated certificate, for that sign-in and that browser only. */
interface HopResult {
  resume: string;
  csrf: string;
  der: string;
  revocation: 'good' | 'unchecked' | 'off';
  exp: number;
}

export const HOP_PARAM = 'hop';
export const RESULT_FIELD = 'CertificateResult';

/**
 * The two legs between the main listener and the certificate listener (AD FS's certauth on port
 * 49443 of the same host): each sealed for its own purpose under the installation key (keys/
 * sealing.ts), short-lived, and bound to one browser by a CSRF token issued to its cookie. The
 * result is accepted only posted with that same token, which the main listener's CSRF check
 * takes once: replayed, or posted by another browser (a login CSRF with the attacker's card), it
 * fails. Both origins are one site (ports do not make sites), so the Lax CSRF cookie rides the
 * cross-origin form post back.
 */
export class CertificateHop {
  private readonly hops: SealedValues;
  private readonly results: SealedValues;

  constructor(
    kek: Buffer,
    private readonly opts: { lifetimeMs: number; certificateOrigin: string; mainOrigin: string; path: string },
  ) {
    this.hops = new SealedValues(kek, 'certificate sign-in hop');
    this.results = new SealedValues(kek, 'certificate sign-in result');
  }

  get mainOrigin(): string {
    return this.opts.mainOrigin;
  }

  /** The login page's "Sign in with a certificate" link. */
  link(resume: string, csrf: string, now = Date.now()): string {
    const hop: Hop = { resume, csrf, exp: now + this.opts.lifetimeMs };
    return `${this.opts.certificateOrigin}${this.opts.path}?${new URLSearchParams({ [HOP_PARAM]: this.hops.seal(hop) })}`;
  }

  /** The hop a request to the certificate listener carries, if it is ours and current. */
  openHop(sealed: unknown, now = Date.now()): Hop | undefined {
    const hop = typeof sealed === 'string' && sealed.length <= 4096 ? this.hops.open<Hop>(sealed) : undefined;
    if (!hop || typeof hop.resume !== 'string' || !hop.resume.startsWith('/') || hop.resume.startsWith('//') || typeof hop.exp !== 'number' || hop.exp <= now) return undefined;
    return hop;
  }

  /** The form the certificate listener posts back: where, and with which fields. */
  answer(hop: Hop, der: Buffer, revocation: HopResult['revocation'], csrfField: string, now = Date.now()): { action: string; fields: Record<string, string> } {
    const result: HopResult = { resume: hop.resume, csrf: hop.csrf, der: der.toString('base64'), revocation, exp: now + this.opts.lifetimeMs };
    return { action: this.opts.mainOrigin + hop.resume, fields: { [RESULT_FIELD]: this.results.seal(result), [csrfField]: hop.csrf } };
  }

  /**
   * The certificate of a posted result, when it was sealed for this sign-in (`resume`) and this
   * post's CSRF token (which the caller has verified, taking it once), and is current.
   */
  openResult(sealed: unknown, resume: string, csrf: unknown, now = Date.now()): { der: Buffer; revocation: HopResult['revocation'] } | undefined {
    const result = typeof sealed === 'string' && sealed.length <= 65_536 ? this.results.open<HopResult>(sealed) : undefined;
    if (!result || result.resume !== resume || result.csrf !== csrf || typeof result.exp !== 'number' || result.exp <= now || typeof result.der !== 'string') return undefined;
    return { der: Buffer.from(result.der, 'base64'), revocation: result.revocation };
  }
}
