import type { AadstsCode } from './errors.js';
import type { MfaOutcome } from './rules.js';

/** One sign-in as Entra's sign-in log would show it; tests read `signIns` to see what the double saw. */
export interface SignInRecord {
  at: string;
  tenantId: string;
  protocol: 'wsFed' | 'saml' | 'saml1_1-bearer' | 'saml2-bearer';
  result: 'success' | 'failure' | 'mfa-redirect';
  userId?: string;
  upn?: string;
  immutableId?: string;
  mfa?: MfaOutcome;
  code?: AadstsCode;
  /** The rules.ts rule that failed. */
  rule?: string;
}

/** Every sign-in any double in this process handled, oldest first. */
export const signIns: SignInRecord[] = [];

export function logSignIn(record: Omit<SignInRecord, 'at'>): SignInRecord {
  const full = { at: new Date().toISOString(), ...record };
  signIns.push(full);
  return full;
}

/** Every user-realm lookup (ENTRA.md §6.5), so tests can see that a client asked and how. */
export interface UserRealmLookup {
  at: string;
  upn: string;
  accept: string | undefined;
  accountType: unknown;
}

export const userRealmLookups: UserRealmLookup[] = [];

/** Every wsignoutcleanup1.0 the IdP sent (ENTRA.md §2.10): Entra ends its own session for the browser. */
export const signOutCleanups: { at: string; wa: string }[] = [];
