import type { DirectoryUser } from '../../../directory/types.js';

/*
 * One interface for every second factor (ARCHITECTURE.md: MFA providers `totp`, `external`): the
 * pipeline asks whether a user can do it, starts a challenge, and checks the answer. A provider
 * never renders a page and never sees a protocol.
 */

/** What the page shows for a challenge. */
export interface MfaPrompt {
  /** The provider's id: `totp` or `external`. */
  provider: string;
  /** The user types a code (an authenticator app, an SMS); otherwise they approve elsewhere and continue. */
  wantsCode: boolean;
  /** Plain text from the service for the user, e.g. which phone was notified (bounded, escaped on the page). */
  message?: string | undefined;
}

/** Who asks, for the service's records and risk checks; never a credential. */
export interface MfaContext {
  relyingParty: string;
  clientIp: string;
}

export type MfaFailure =
  /** The code is not the one expected now (audited; counts toward mfa.maxFailures). */
  | 'wrong-code'
  /** A code already accepted once (RFC 6238 §5.2). */
  | 'replayed-code'
  /** The user or the service refused the sign-in. */
  | 'denied'
  /** Not approved yet (a push still unanswered): ask again, nothing failed. */
  | 'pending'
  /** The service did not answer properly in time: fail-closed, no token. */
  | 'unavailable'
  | 'not-enrolled';

export type MfaVerdict = { ok: true } | { ok: false; reason: MfaFailure };

export type MfaStart = { ok: true; prompt: MfaPrompt; state: string } | { ok: false; reason: 'denied' | 'unavailable' };

export interface MfaProvider {
  /** `totp` or `external`: the name in audit events and in the sealed flow. */
  readonly id: string;
  /** The user can do this factor now (enrolled, or in the provider's groups). */
  availableFor(user: DirectoryUser): Promise<boolean>;
  /** Starts a challenge; `state` is kept sealed in the sign-in flow until `verify`. */
  begin(user: DirectoryUser, ctx: MfaContext): Promise<MfaStart>;
  verify(user: DirectoryUser, state: string, code: string | undefined, ctx: MfaContext): Promise<MfaVerdict>;
}
