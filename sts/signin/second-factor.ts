import { createHmac } from 'node:crypto';
import type { Directory } from '../../directory/types.js';
import type { Audit } from '../../health/audit.js';
import type { CounterStore } from '../../store/types.js';
import type { FlowState, MfaFlows } from './mfa/flow.js';
import type { MfaPolicy, MfaReason } from './mfa/policy.js';
import type { MfaFailure, MfaProvider } from './mfa/provider.js';
import type { TotpProvider } from './mfa/totp.js';
import type { SignInOutcome, Walk } from './pipeline.js';
import { AuthMethod, type Authentication, type SignInRequest } from './types.js';

/** Wrong answers to one challenge page before the user must start over with the password. */
const MAX_ATTEMPTS = 5;
const FAILURE_WINDOW_MS = 15 * 60_000;

export interface SecondFactorDeps {
  policy: MfaPolicy;
  /** In order of preference: the first one the user can do is offered. */
  providers: MfaProvider[];
  /** The TOTP provider when enabled, for enrolment. */
  totp?: TotpProvider | undefined;
  enrolment: 'always' | 'inside-corporate-network' | 'never';
  flows: MfaFlows;
  audit: Audit;
  directory: Directory;
  counters: CounterStore;
  /** Keys the failure counters' names (no objectGUID in clear in the counters table). */
  counterKey: Buffer;
  maxFailures: number;
}

/**
 * The pipeline's second-factor steps (ARCHITECTURE.md: "then MFA if policy asks"). `resume` takes
 * a posted MFA page back to the first factor it followed; `step` decides by MfaPolicy whether a
 * second factor is needed, offers one (or enrolment), checks the answer, and on success adds
 * multipleauthn and the MFA instant to the authentication (ENTRA.md §5.2). Every decision is
 * audited as an `mfa` event with method, result, reason and address; never a code or a secret.
 */
export class SecondFactor {
  constructor(private readonly deps: SecondFactorDeps) {}

  /** True when some second factor can be run: a request for MFA is then not refused up front. */
  get available(): boolean {
    return this.deps.providers.length > 0;
  }

  async resume(walk: Walk): Promise<SignInOutcome | undefined> {
    const { req, presented } = walk;
    if (presented.kind !== 'second-factor') return undefined;
    const flow = await this.deps.flows.take(req, presented.flow);
    if (!flow) {
      await this.record(req, 'failure', undefined, 'flow-expired');
      return { kind: 'needs-credentials', method: 'password', error: 'mfa-expired' };
    }
    const user = await this.deps.directory.findUser({ objectGuid: flow.objectGuid });
    if (!user || user.accountState !== 'enabled') {
      await this.record(req, 'failure', user?.upn, 'account-unusable', { method: flow.provider });
      return { kind: 'needs-credentials', method: 'password', error: 'session-account-unusable' };
    }
    walk.auth = {
      user,
      methods: flow.methods,
      instant: new Date(flow.instant),
      insideCorporateNetwork: flow.insideCorporateNetwork,
      persistent: flow.persistent,
    };
    walk.fromSession = flow.fromSession;
    walk.flow = flow;
    return undefined;
  }

  async step(walk: Walk): Promise<SignInOutcome | undefined> {
    const { req } = walk;
    const auth = walk.auth!;
    // An SSO session whose sign-in included MFA satisfies any request for it.
    if (auth.mfaInstant) return undefined;
    const reason = (walk.flow?.reason as MfaReason | undefined) ?? this.deps.policy.reason(req, auth);
    if (!reason) return undefined;
    // WS-Trust has no page to ask on: refused, as AD FS does when its policy wants MFA there.
    if (req.protocol === 'wstrust') {
      await this.record(req, 'failure', auth.user.upn, 'no-interactive-channel', { policy: reason });
      return { kind: 'denied', reason: 'mfa-required' };
    }
    if (await this.tooManyFailures(auth)) {
      await this.record(req, 'failure', auth.user.upn, 'too-many-failures', { policy: reason });
      return { kind: 'needs-credentials', method: 'password', error: 'mfa-too-many', username: auth.user.upn };
    }
    if (walk.flow) return this.answer(walk, walk.flow, auth);
    return this.offer(req, auth, reason, walk.fromSession ?? false);
  }

  /** First sight of the need: the first provider the user can do, else enrolment, else a refusal. */
  private async offer(req: SignInRequest, auth: Authentication, reason: MfaReason, fromSession: boolean): Promise<SignInOutcome> {
    const base = { methods: auth.methods, instant: auth.instant.toISOString(), objectGuid: auth.user.objectGuid, insideCorporateNetwork: auth.insideCorporateNetwork, persistent: auth.persistent, fromSession, reason, attempts: 0 };
    for (const provider of this.deps.providers) {
      if (!(await provider.availableFor(auth.user))) continue;
      const started = await provider.begin(auth.user, this.context(req));
      await this.record(req, started.ok ? 'success' : 'failure', auth.user.upn, started.ok ? 'challenge-sent' : started.reason, { method: provider.id, policy: reason });
      if (!started.ok) return { kind: 'needs-credentials', method: 'password', error: started.reason === 'denied' ? 'mfa-denied' : 'mfa-unavailable', username: auth.user.upn };
      const prompt = { wantsCode: started.prompt.wantsCode, ...(started.prompt.message ? { message: started.prompt.message } : {}) };
      return { kind: 'needs-second-factor', prompt: started.prompt, flow: this.deps.flows.issue(req, { ...base, provider: provider.id, state: started.state, prompt }) };
    }
    const totp = this.deps.totp;
    if (totp && this.mayEnrol(auth)) {
      const fresh = totp.newAuthenticator(auth.user);
      await this.record(req, 'success', auth.user.upn, 'enrolment-offered', { method: totp.id, policy: reason });
      return { kind: 'needs-enrolment', enrolment: { ...fresh, account: auth.user.upn }, flow: this.deps.flows.issue(req, { ...base, provider: totp.id, state: '', prompt: { wantsCode: true }, enrolSecret: fresh.secret }) };
    }
    await this.record(req, 'failure', auth.user.upn, 'no-method-for-user', { policy: reason });
    return { kind: 'denied', reason: 'mfa-unavailable' };
  }

  /** The user's answer to a challenge or an enrolment page. */
  private async answer(walk: Walk, flow: FlowState, auth: Authentication): Promise<SignInOutcome | undefined> {
    const { req, presented } = walk;
    const code = presented.kind === 'second-factor' && typeof presented.code === 'string' ? presented.code : undefined;
    const totp = this.deps.totp;
    const enrolling = flow.enrolSecret !== undefined;
    let verdict;
    if (enrolling) {
      if (!totp || !this.mayEnrol(auth)) return this.refuse(req, auth, flow, 'unavailable');
      verdict = await totp.enrol(auth.user, flow.enrolSecret!, code);
    } else {
      const provider = this.deps.providers.find((p) => p.id === flow.provider);
      if (!provider) return this.refuse(req, auth, flow, 'unavailable');
      verdict = await provider.verify(auth.user, flow.state, code, this.context(req));
    }
    const details = { method: flow.provider, policy: flow.reason, ...(enrolling ? { enrolment: true } : {}) };
    if (verdict.ok) {
      await this.deps.counters.reset(this.failureKey(auth));
      await this.record(req, 'success', auth.user.upn, enrolling ? 'enrolled' : 'verified', details);
      auth.methods = [...auth.methods.filter((m) => m !== AuthMethod.multipleAuthn), AuthMethod.multipleAuthn];
      auth.mfaInstant = new Date();
      walk.steppedUp = walk.fromSession ?? false;
      return undefined;
    }
    if (verdict.reason === 'denied' || verdict.reason === 'unavailable' || verdict.reason === 'not-enrolled') return this.refuse(req, auth, flow, verdict.reason);
    // A wrong or replayed code, or a push not answered yet: the same page again, with a new flow.
    await this.record(req, 'failure', auth.user.upn, verdict.reason, details);
    if (verdict.reason !== 'pending') await this.deps.counters.increment(this.failureKey(auth), FAILURE_WINDOW_MS);
    const attempts = verdict.reason === 'pending' ? flow.attempts : flow.attempts + 1;
    if (attempts >= MAX_ATTEMPTS) return { kind: 'needs-credentials', method: 'password', error: 'mfa-too-many', username: auth.user.upn };
    const next = this.deps.flows.issue(req, { ...flow, attempts });
    const error = verdict.reason === 'pending' ? 'pending' : 'wrong-code';
    if (enrolling) return { kind: 'needs-enrolment', enrolment: { secret: flow.enrolSecret!, uri: totp!.uri(flow.enrolSecret!, auth.user), account: auth.user.upn }, flow: next, error };
    return { kind: 'needs-second-factor', prompt: { provider: flow.provider, ...flow.prompt }, flow: next, error };
  }

  /** Denied, not available (fail-closed), or enrolled meanwhile: back to the start, audited. */
  private async refuse(req: SignInRequest, auth: Authentication, flow: FlowState, reason: MfaFailure): Promise<SignInOutcome> {
    await this.record(req, 'failure', auth.user.upn, reason, { method: flow.provider, policy: flow.reason });
    return { kind: 'needs-credentials', method: 'password', error: reason === 'denied' ? 'mfa-denied' : 'mfa-unavailable', username: auth.user.upn };
  }

  private mayEnrol(auth: Authentication): boolean {
    return this.deps.enrolment === 'always' || (this.deps.enrolment === 'inside-corporate-network' && auth.insideCorporateNetwork);
  }

  private async tooManyFailures(auth: Authentication): Promise<boolean> {
    return (await this.deps.counters.get(this.failureKey(auth))) >= this.deps.maxFailures;
  }

  private failureKey(auth: Authentication): string {
    return `mfa-failures:${createHmac('sha256', this.deps.counterKey).update(auth.user.objectGuid).digest('base64url').slice(0, 27)}`;
  }

  private context(req: SignInRequest) {
    return { relyingParty: req.trust.identifier, clientIp: req.clientIp };
  }

  private record(req: SignInRequest, outcome: 'success' | 'failure', user: string | undefined, reason: string, details: Record<string, string | boolean> = {}) {
    return this.deps.audit.record({ type: 'mfa', outcome, user, relyingParty: req.trust.identifier, clientIp: req.clientIp, reason, details: { protocol: req.protocol, ...details } });
  }
}
