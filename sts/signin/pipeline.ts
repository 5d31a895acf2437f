import type { Logger } from 'pino';
import type { ChangePasswordResult, Directory } from '../../directory/types.js';
import type { Audit } from '../../health/audit.js';
import type { ExtranetLockout } from './extranet-lockout.js';
import { changePassword, checkPassword, type Counted, type PasswordFailure } from './password.js';
import type { SessionData } from './session.js';
import { AuthMethod, type Authentication, type SignInRequest } from './types.js';

export type SignInFailure = PasswordFailure | 'method-unavailable' | 'session-user-gone' | 'session-account-unusable';
export type ChangePasswordFailure = Exclude<ChangePasswordResult, { ok: true }>['reason'];

export type SignInOutcome = { ok: true; auth: Authentication } | { ok: false; reason: SignInFailure };

/** wauth / RequestedAuthnContext values a password sign-in satisfies (ENTRA.md §2.1). */
const passwordMethods = new Set<string>([
  AuthMethod.password,
  AuthMethod.password.replace('http://', 'https://'),
  AuthMethod.saml11Password,
  AuthMethod.passwordProtectedTransport,
]);

/**
 * Decides who the user is and how strongly, for any protocol (ARCHITECTURE.md "sign-in pipeline"):
 * reuse of the SSO session, the password method, and the audit trail of each outcome.
 */
export class SignInPipeline {
  constructor(
    private readonly deps: {
      directory: Directory;
      audit: Audit;
      insideCorporateNetwork: (ip: string) => boolean;
      lockout: ExtranetLockout;
      log: Logger;
    },
  ) {}

  insideCorporateNetwork(clientIp: string): boolean {
    return this.deps.insideCorporateNetwork(clientIp);
  }

  /**
   * Methods we cannot perform yet (MFA, certificate: roadmap) are refused rather than silently
   * downgraded: a relying party that asks for MFA must not get a password-only token.
   */
  unsatisfiableMethods(req: SignInRequest): string[] {
    return req.requestedMethods.filter((m) => !passwordMethods.has(m));
  }

  async withPassword(req: SignInRequest, username: unknown, password: unknown, persistent = false): Promise<SignInOutcome> {
    const inside = this.insideCorporateNetwork(req.clientIp);
    const result = await checkPassword(this.deps, username, password, !inside);
    if (!result.ok) {
      await this.record(req, 'failure', this.auditedName(result, username), result.extranetLockout ? 'extranet-lockout' : result.reason);
      return { ok: false, reason: result.reason };
    }
    const auth: Authentication = {
      user: result.user,
      methods: [AuthMethod.password],
      instant: new Date(),
      insideCorporateNetwork: inside,
      persistent,
    };
    await this.record(req, 'success', result.user.upn);
    return { ok: true, auth };
  }

  /** The account's UPN when the name named one, else what the audit may keep of the typed text. */
  private auditedName(check: Counted<unknown>, typed: unknown): string {
    return check.account?.upn ?? this.deps.audit.typedName(typed);
  }

  /**
   * The user's own password change (AD FS /adfs/portal/updatepassword/). It proves the old password,
   * so from the extranet it counts toward the extranet lockout like a sign-in, by the same account
   * key: otherwise it would be a password-guessing side door around it.
   */
  async changePassword(clientIp: string, username: unknown, oldPassword: unknown, newPassword: unknown): Promise<ChangePasswordResult> {
    const result = await changePassword(this.deps, username, oldPassword, newPassword, !this.insideCorporateNetwork(clientIp));
    await this.deps.audit.record({
      type: 'password.change',
      outcome: result.ok ? 'success' : 'failure',
      user: this.auditedName(result, username),
      clientIp,
      reason: result.ok ? undefined : result.extranetLockout ? 'extranet-lockout' : result.reason,
    });
    if (result.ok) return { ok: true, ...(result.upn ? { upn: result.upn } : {}) };
    return { ok: false, reason: result.reason, ...(result.upn ? { upn: result.upn } : {}) };
  }

  /** SSO: the session's first-factor result with the user re-read, so disabled users stop at once. */
  async fromSession(req: SignInRequest, session: SessionData): Promise<SignInOutcome> {
    const user = await this.deps.directory.findUser({ objectGuid: session.objectGuid });
    if (!user) {
      await this.record(req, 'failure', session.upn, 'session-user-gone');
      return { ok: false, reason: 'session-user-gone' };
    }
    if (user.accountState !== 'enabled') {
      await this.record(req, 'failure', user.upn, `session-account-${user.accountState}`);
      return { ok: false, reason: 'session-account-unusable' };
    }
    const auth: Authentication = {
      user,
      methods: session.methods,
      instant: new Date(session.instant),
      mfaInstant: session.mfaInstant ? new Date(session.mfaInstant) : undefined,
      insideCorporateNetwork: this.insideCorporateNetwork(req.clientIp),
      persistent: session.persistent,
    };
    await this.record(req, 'success', user.upn, undefined, { sso: true });
    return { ok: true, auth };
  }

  private record(req: SignInRequest, outcome: 'success' | 'failure', user: string | undefined, reason?: string, details?: Record<string, string | boolean>) {
    return this.deps.audit.record({
      type: 'signin',
      outcome,
      user,
      relyingParty: req.trust.identifier,
      clientIp: req.clientIp,
      reason,
      details: { protocol: req.protocol, ...details },
    });
  }
}
