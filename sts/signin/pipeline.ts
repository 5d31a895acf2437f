import { DirectoryUnavailable } from '../../directory/pool.js';
import type { ChangePasswordResult, Directory } from '../../directory/types.js';
import type { Audit } from '../../health/audit.js';
import type { AddressThrottle } from './address-throttle.js';
import type { SignInTimer } from '../../health/metrics.js';
import { checkCertificate, type CertificateFailure, type CertificateMapping } from './certificate.js';
import type { ExtranetLockout } from './extranet-lockout.js';
import type { FlowState } from './mfa/flow.js';
import type { MfaPrompt } from './mfa/provider.js';
import type { SecondFactor } from './second-factor.js';
import { attemptDetails, changePassword, checkPassword, type Counted, type PasswordFailure } from './password.js';
import type { SessionData } from './session.js';
import { SessionUsers } from './session-user.js';
import { AuthMethod, type Authentication, type Presented, type SignInRequest } from './types.js';

export type SignInFailure = PasswordFailure | CertificateFailure | 'method-unavailable' | 'session-user-gone' | 'session-account-unusable' | SecondFactorFailure;
/** Why a second factor ended the attempt (sts/signin/second-factor.ts): the user starts again at the password. */
export type SecondFactorFailure = 'mfa-expired' | 'mfa-denied' | 'mfa-unavailable' | 'mfa-too-many' | 'mfa-required';
export type ChangePasswordFailure = Exclude<ChangePasswordResult, { ok: true }>['reason'];

type MethodResult = { ok: true; auth: Authentication } | { ok: false; reason: SignInFailure };

/**
 * Where a sign-in stands after one request: done, or what the user must do next. Never a page or
 * an HTTP answer: sts/http renders these, protocol adapters turn Authenticated into tokens.
 */
export type SignInOutcome =
  /** `steppedUp`: the SSO session's sign-in gained MFA just now (the session records it). */
  | { kind: 'authenticated'; auth: Authentication; fromSession: boolean; steppedUp?: boolean }
  /** Ask for a credential of `method`; `error` says why the last one failed; `endSession`: the SSO session can no longer be used. */
  /** `certificate`: the relying party asked for a certificate sign-in (wauth / RequestedAuthnContext TLS client): offer only that. */
  | { kind: 'needs-credentials'; method: 'password' | 'certificate'; error?: SignInFailure; username?: string; endSession?: boolean }
  /** AD refused the password as expired or to be changed (AD FS then offers its update-password page). */
  | { kind: 'needs-password-change'; reason: 'password-expired' | 'must-change-password'; username: string }
  /** Ask for the second factor `prompt` describes; `flow` (sealed) comes back with the answer; `error`: why the last answer failed. */
  | { kind: 'needs-second-factor'; prompt: MfaPrompt; flow: string; error?: 'wrong-code' | 'pending' }
  /** The user must set up an authenticator app first: the secret, its otpauth:// URI for the QR code, and the account name shown. */
  | { kind: 'needs-enrolment'; enrolment: { secret: string; uri: string; account: string }; flow: string; error?: 'wrong-code' | 'pending' }
  | { kind: 'denied'; reason: 'method-unavailable' | 'mfa-unavailable' | 'mfa-required' };

/** One request's walk through the steps: the request, what was presented, the SSO session, and the result so far. */
export interface Walk {
  req: SignInRequest;
  presented: Presented;
  session: SessionData | undefined;
  auth?: Authentication;
  fromSession?: boolean;
  /** The second-factor flow a posted MFA page resumed. */
  flow?: FlowState;
  steppedUp?: boolean;
}

/** A step returns an outcome to stop the walk here, or nothing to hand on to the next step. */
type Step = (walk: Walk) => Promise<SignInOutcome | undefined>;

/** wauth / RequestedAuthnContext values a password sign-in satisfies (ENTRA.md §2.1). */
const passwordMethods = new Set<string>([
  AuthMethod.password,
  AuthMethod.password.replace('http://', 'https://'),
  AuthMethod.saml11Password,
  AuthMethod.passwordProtectedTransport,
]);

/**
 * Decides who the user is and how strongly, for any protocol (ARCHITECTURE.md "sign-in pipeline"):
 * a list of steps — the requested methods can be met, a posted MFA page resumed, then a first
 * factor (the SSO session, or the password), then a second factor when MfaPolicy asks
 * (sts/signin/second-factor.ts) — each of which may stop the walk with what the user must do next.
 */
export class SignInPipeline {
  constructor(
    private readonly deps: {
      directory: Directory;
      audit: Audit;
      insideCorporateNetwork: (ip: string) => boolean;
      lockout: ExtranetLockout;
      throttle: AddressThrottle;
      /** MFA (issue [E]); without it a request for MFA is refused. */
      secondFactor?: SecondFactor | undefined;
      /** Told how long each run took and what it came to (the sign-in latency histogram of /metrics). */
      timer?: SignInTimer;
      /** session.userRereadSeconds in ms: how old the SSO re-issue's read of the user may be. */
      userRereadMs: number;
      /** certificateAuth.mapping: how a certificate names its user, in order. */
      certificateMapping?: readonly CertificateMapping[];
      /** certificateAuth.enabled: a request for a certificate sign-in can be met. */
      certificateEnabled?: boolean;
    },
  ) {
    this.sessionUsers = new SessionUsers(deps.directory, deps.userRereadMs);
  }

  private readonly sessionUsers: SessionUsers;

  private readonly steps: Step[] = [
    (w) => this.methodsAvailable(w),
    (w) => this.deps.secondFactor?.resume(w) ?? Promise.resolve(undefined),
    (w) => (w.auth ? Promise.resolve(undefined) : this.certificateRequired(w) ?? this.firstFactor(w)),
    (w) => this.deps.secondFactor?.step(w) ?? Promise.resolve(undefined),
  ];

  /** Runs the steps over what this request presented; `session` is the SSO session the browser holds, if any. */
  async run(req: SignInRequest, presented: Presented, session?: SessionData): Promise<SignInOutcome> {
    const started = performance.now();
    const outcome = await this.walk(req, presented, session);
    this.deps.timer?.(req.protocol, outcome.kind, (performance.now() - started) / 1000);
    return outcome;
  }

  private async walk(req: SignInRequest, presented: Presented, session: SessionData | undefined): Promise<SignInOutcome> {
    const walk: Walk = { req, presented, session };
    for (const step of this.steps) {
      const outcome = await step(walk);
      if (outcome) return outcome;
    }
    if (!walk.auth) throw new Error('sign-in steps ended without an authentication');
    return { kind: 'authenticated', auth: walk.auth, fromSession: walk.fromSession ?? false, ...(walk.steppedUp ? { steppedUp: true } : {}) };
  }

  /** The requested methods must all be ones we perform (refused, not downgraded, otherwise). */
  private async methodsAvailable({ req }: Walk): Promise<SignInOutcome | undefined> {
    const missing = this.unsatisfiableMethods(req);
    if (missing.length === 0) return undefined;
    // Audited, not echoed: the page must not display attacker-chosen text.
    await this.deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'method-unavailable', relyingParty: req.trust.identifier, clientIp: req.clientIp, details: { requested: missing.join(' ') } });
    return { kind: 'denied', reason: 'method-unavailable' };
  }

  /**
   * A password presented now, else the SSO session unless the request wants a fresh credential
   * (wfresh=0, prompt=login) or a first factor younger than the session's (wfresh=N), else ask.
   */
  private async firstFactor(walk: Walk): Promise<SignInOutcome | undefined> {
    const { req, presented, session } = walk;
    if (presented.kind === 'password') {
      const result = await this.withPassword(req, presented.username, presented.password, presented.persistent);
      if (result.ok) {
        walk.auth = result.auth;
        return undefined;
      }
      const username = typeof presented.username === 'string' ? presented.username.slice(0, 256) : '';
      if (result.reason === 'password-expired' || result.reason === 'must-change-password') return { kind: 'needs-password-change', reason: result.reason, username };
      return { kind: 'needs-credentials', method: 'password', error: result.reason, username };
    }
    if (presented.kind === 'certificate') {
      const result = await this.withCertificate(req, presented);
      if (!result.ok) return { kind: 'needs-credentials', method: req.requestedMethods.includes(AuthMethod.tlsClient) && !req.requestedMethods.some((m) => passwordMethods.has(m)) ? 'certificate' : 'password', error: result.reason };
      walk.auth = result.auth;
      return undefined;
    }
    const tooOld = session && req.maxAgeMinutes !== undefined && Date.now() - Date.parse(session.instant) > req.maxAgeMinutes * 60_000;
    if (session && !req.fresh && !tooOld) {
      const result = await this.fromSession(req, session);
      if (result.ok) {
        walk.auth = result.auth;
        walk.fromSession = true;
        return undefined;
      }
      // The account was disabled, expired, locked or removed since: the session is over. A
      // directory outage ends nothing: the page says to try again, the session stays.
      if (result.reason === 'directory-unavailable') return { kind: 'needs-credentials', method: 'password', error: result.reason };
      return { kind: 'needs-credentials', method: 'password', endSession: true, ...(req.loginHint ? { username: req.loginHint } : {}) };
    }
    return { kind: 'needs-credentials', method: 'password', ...(req.loginHint ? { username: req.loginHint } : {}) };
  }

  insideCorporateNetwork(clientIp: string): boolean {
    return this.deps.insideCorporateNetwork(clientIp);
  }

  /**
   * Methods we cannot perform (certificate: roadmap; MFA when no provider is configured) are
   * refused rather than silently downgraded: a relying party that asks for MFA must not get a
   * password-only token. A request for MFA the second-factor step satisfies after the password.
   */
  private unsatisfiableMethods(req: SignInRequest): string[] {
    return req.requestedMethods.filter((m) => !passwordMethods.has(m) && !(this.deps.secondFactor?.available && m === AuthMethod.multipleAuthn) && !(this.deps.certificateEnabled && m === AuthMethod.tlsClient));
  }

  /**
   * A relying party that asks for TLS client authentication (wauth=urn:ietf:rfc:2246, SAML
   * X509 / TLSClient) gets a certificate sign-in or nothing, as AD FS forces certificate
   * authentication for it: a password is not checked, an SSO session not made by a certificate
   * is not reused, and the user is asked for the certificate alone. Undefined: the request does
   * not insist (it names no method, or a password method too), or a certificate was presented.
   */
  private certificateRequired(walk: Walk): Promise<SignInOutcome | undefined> | undefined {
    const { req, presented, session } = walk;
    const insists = req.requestedMethods.includes(AuthMethod.tlsClient) && !req.requestedMethods.some((m) => passwordMethods.has(m));
    if (!insists || presented.kind === 'certificate' || presented.kind === 'second-factor') return undefined;
    if (presented.kind === 'nothing' && session?.methods.includes(AuthMethod.tlsClient)) return undefined;
    return (async () => {
      if (presented.kind === 'password') await this.record(req, 'failure', this.deps.audit.typedName(presented.username), 'certificate-required', { method: 'password' });
      return { kind: 'needs-credentials', method: 'certificate', ...(presented.kind === 'password' ? { error: 'method-unavailable' as const } : {}) };
    })();
  }

  private async withPassword(req: SignInRequest, username: unknown, password: unknown, persistent: boolean): Promise<MethodResult> {
    const inside = this.insideCorporateNetwork(req.clientIp);
    const result = await checkPassword(this.deps, username, password, { clientIp: req.clientIp, extranet: !inside });
    if (!result.ok) {
      await this.record(req, 'failure', this.auditedName(result, username), result.extranetLockout ? 'extranet-lockout' : result.reason, attemptDetails(result));
      return { ok: false, reason: result.reason };
    }
    const auth: Authentication = {
      user: result.user,
      methods: [AuthMethod.password],
      instant: new Date(),
      insideCorporateNetwork: inside,
      persistent,
    };
    this.sessionUsers.remember(result.user);
    await this.record(req, 'success', result.user.upn, undefined, attemptDetails(result));
    return { ok: true, auth };
  }

  /**
   * The certificate first factor (sts/signin/certificate.ts); its method is TLS client
   * (`urn:ietf:rfc:2246`, the wauth AD FS understands for it, ENTRA.md §2.1; as the statement method §2.7 lists it unconfirmed), which the token's AuthenticationMethod and
   * authnmethodsreferences carry. A certificate sign-in is never persistent (no KMSI box on its way).
   */
  private async withCertificate(req: SignInRequest, presented: Extract<Presented, { kind: 'certificate' }>): Promise<MethodResult> {
    const result = await checkCertificate(this.deps, presented.der, this.deps.certificateMapping ?? ['upn', 'altSecurityIdentities']);
    const details = { method: 'certificate', thumbprint: result.names.thumbprint, revocation: presented.revocation, ...(result.ok ? { mappedBy: result.mappedBy } : {}) };
    if (!result.ok) {
      await this.record(req, 'failure', result.upn ?? `certificate:${result.names.thumbprint}`, result.reason, details);
      return { ok: false, reason: result.reason };
    }
    const auth: Authentication = {
      user: result.user,
      methods: [AuthMethod.tlsClient],
      instant: new Date(),
      insideCorporateNetwork: this.insideCorporateNetwork(req.clientIp),
      persistent: false,
    };
    await this.record(req, 'success', result.user.upn, undefined, details);
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
    const result = await changePassword(this.deps, username, oldPassword, newPassword, { clientIp, extranet: !this.insideCorporateNetwork(clientIp) });
    await this.deps.audit.record({
      type: 'password.change',
      outcome: result.ok ? 'success' : 'failure',
      user: this.auditedName(result, username),
      clientIp,
      reason: result.ok ? undefined : result.extranetLockout ? 'extranet-lockout' : result.reason,
      details: attemptDetails(result),
    });
    if (result.ok) return { ok: true, ...(result.upn ? { upn: result.upn } : {}) };
    return { ok: false, reason: result.reason, ...(result.upn ? { upn: result.upn } : {}) };
  }

  /**
   * SSO: the session's first-factor result with the user re-read (at most session.userRereadSeconds
   * old), so a disabled user stops within that time.
   */
  private async fromSession(req: SignInRequest, session: SessionData): Promise<MethodResult> {
    let user;
    try {
      user = await this.sessionUsers.get(session.objectGuid);
    } catch (err) {
      if (!(err instanceof DirectoryUnavailable)) throw err;
      // No DC answered: the session is not over, the user cannot be checked just now.
      await this.record(req, 'failure', session.upn, 'directory-unavailable', { sso: true });
      return { ok: false, reason: 'directory-unavailable' };
    }
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
