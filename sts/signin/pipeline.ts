import type { Logger } from 'pino';
import type { ChangePasswordResult, Directory } from '../../directory/types.js';
import type { Audit } from '../../health/audit.js';
import { validChangeInput } from '../../directory/password-change.js';
import type { ExtranetLockout } from './extranet-lockout.js';
import { checkPassword, type PasswordFailure } from './password.js';
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
    const typed = typeof username === 'string' ? username.slice(0, 256) : undefined;
    const extranet = typed !== undefined && !this.insideCorporateNetwork(req.clientIp);
    if (extranet && (await this.deps.lockout.isLocked(typed))) {
      // Answered like a wrong password, as AD FS does, so the lockout tells a sprayer nothing.
      await this.record(req, 'failure', typed, 'extranet-lockout');
      return { ok: false, reason: 'bad-password' };
    }
    const result = await checkPassword(this.deps.directory, username, password);
    if (!result.ok) {
      if (extranet && (result.reason === 'bad-password' || result.reason === 'no-such-user')) await this.deps.lockout.failed(typed);
      await this.record(req, 'failure', typed, result.reason);
      return result;
    }
    if (extranet) await this.deps.lockout.succeeded(typed);
    const auth: Authentication = {
      user: result.user,
      methods: [AuthMethod.password],
      instant: new Date(),
      insideCorporateNetwork: this.insideCorporateNetwork(req.clientIp),
      persistent,
    };
    await this.record(req, 'success', result.user.upn);
    return { ok: true, auth };
  }

  /**
   * The user's own password change (AD FS /adfs/portal/updatepassword/). It proves the old password,
   * so from the extranet it counts toward the extranet lockout like a sign-in: otherwise it would
   * be a password-guessing side door around it.
   */
  async changePassword(clientIp: string, username: unknown, oldPassword: unknown, newPassword: unknown): Promise<ChangePasswordResult> {
    const typed = typeof username === 'string' ? username.trim().slice(0, 256) : undefined;
    const audit = (result: ChangePasswordResult, reason?: string) => this.deps.audit.record({
      type: 'password.change',
      outcome: result.ok ? 'success' : 'failure',
      user: result.upn ?? typed,
      clientIp,
      reason: reason ?? (result.ok ? undefined : result.reason),
    });
    if (!typed || typeof oldPassword !== 'string' || typeof newPassword !== 'string' || !validChangeInput(typed, oldPassword, newPassword)) {
      const refused: ChangePasswordResult = { ok: false, reason: 'invalid-input' };
      await audit(refused);
      return refused;
    }
    const extranet = !this.insideCorporateNetwork(clientIp);
    if (extranet && (await this.deps.lockout.isLocked(typed))) {
      const locked: ChangePasswordResult = { ok: false, reason: 'bad-password' };
      await audit(locked, 'extranet-lockout');
      return locked;
    }
    const result = await this.deps.directory.changePassword(typed, oldPassword, newPassword);
    if (extranet && !result.ok && (result.reason === 'bad-password' || result.reason === 'no-such-user')) await this.deps.lockout.failed(typed);
    await audit(result);
    return result;
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
