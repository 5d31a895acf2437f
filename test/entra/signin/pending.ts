import { randomBytes, randomUUID } from 'node:crypto';
import type { Domain } from '../tenant.js';

/** A sign-in Entra started and expects back at login.srf (ENTRA.md §2.1 wctx, §3.2 InResponseTo). */
export interface PendingSignIn {
  domain: Domain;
  username: string | null;
  mfaRequired: boolean;
  /** SAML 2.0 only: the AuthnRequest ID the Response must answer. */
  requestId?: string;
  issuedAt: number;
}

const LIFETIME_MS = 60 * 60 * 1000;

/**
 * The contexts this double handed out, keyed by the exact wctx / RelayState string: a lookup is the
 * byte-exact round-trip check of ENTRA.md §2.1. Single use, an hour at most (Entra's own limit
 * *(unconfirmed)*).
 */
export class PendingSignIns {
  private readonly byContext = new Map<string, PendingSignIn>();

  /**
   * ENTRA.md §2.1: wctx is opaque and long, shaped like Entra's
   * `LoginOptions=3&estsredirect=2&estsrequest=<blob>`; its `&` and `=` must survive encoding.
   */
  issue(entry: Omit<PendingSignIn, 'issuedAt'>): string {
    const context = `LoginOptions=3&estsredirect=2&estsrequest=${randomBytes(240).toString('base64url')}&id=${randomUUID()}`;
    this.byContext.set(context, { ...entry, issuedAt: Date.now() });
    return context;
  }

  take(context: string | undefined): PendingSignIn | undefined {
    if (context === undefined) return undefined;
    const entry = this.byContext.get(context);
    this.byContext.delete(context);
    return entry && Date.now() - entry.issuedAt < LIFETIME_MS ? entry : undefined;
  }
}
