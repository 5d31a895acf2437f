import type { Request, Response } from 'express';
import { AdfsPath } from '../../metadata/endpoints.js';
import type { SignInPipeline, SignInOutcome } from '../signin/pipeline.js';
import type { LiveSession } from '../signin/session.js';
import type { Authentication, Presented, SignInRequest } from '../signin/types.js';
import type { Audit } from '../../health/audit.js';
import { RequestDenied } from '../protocols/errors.js';
import { sendPage, type Branding } from '../ui/layout.js';
import { loginPage } from '../ui/login-page.js';
import { enrolmentPage, secondFactorPage } from '../ui/mfa-page.js';
import { failureText } from '../ui/texts.js';
import { RESULT_FIELD, type CertificateHop } from './certificate-hop.js';
import type { Csrf } from './csrf.js';
import type { SessionCookie } from './session-cookie.js';

/** A form post whose answer redirects on to the relying party (OIDC) needs that origin in CSP form-action, which covers redirects. */
const formTargets = (sr: SignInRequest) => (sr.redirectsTo ? { formTargets: ["'self'", new URL(sr.redirectsTo).origin] } : {});

export interface SignedIn {
  auth: Authentication;
  session: LiveSession;
}

/** The login page's link for an expired or must-change password: the name and the sign-in to resume. */
export function changePasswordLink(username: string | undefined, returnUrl: string): string {
  const params = new URLSearchParams({ ...(username ? { username } : {}), returnUrl });
  return `${AdfsPath.changePassword}?${params}`;
}

/**
 * The browser's side of the sign-in flow: what this request presents (the login form's post,
 * CSRF-checked, or nothing), the SSO session cookie, the pipeline's outcome rendered — a page, or
 * the signed-in user for the protocol adapter to answer.
 */
export class BrowserSignIn {
  constructor(
    private readonly deps: { pipeline: SignInPipeline; cookie: SessionCookie; csrf: Csrf; branding: Branding; audit: Audit; certificate?: CertificateHop | undefined },
  ) {}

  /**
   * Undefined when this request was answered with a page. `resumeUrl`: where the login form posts
   * back — a fixed path with the protocol message the adapter re-encoded, never the request line
   * (an absolute-form request could name another host).
   */
  async run(req: Request, res: Response, sr: SignInRequest, resumeUrl: string): Promise<SignedIn | undefined> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    let presented: Presented = { kind: 'nothing' };
    if (req.method === 'POST' && 'UserName' in body) {
      if (!(await this.deps.csrf.verify(req, body[this.deps.csrf.field]))) {
        await this.deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'csrf', relyingParty: sr.trust.identifier, clientIp: sr.clientIp });
        this.showLogin(res, resumeUrl, sr, { error: this.deps.branding.texts['login.formExpired'], username: body.UserName, status: 400 });
        return undefined;
      }
      presented = { kind: 'password', username: body.UserName, password: body.Password, persistent: body.Kmsi === 'true' };
    } else if (req.method === 'POST' && 'MfaFlow' in body) {
      // The MFA page's post: CSRF-checked like the login form; a stale one starts over at the password.
      if (!(await this.deps.csrf.verify(req, body[this.deps.csrf.field]))) {
        await this.deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'csrf', relyingParty: sr.trust.identifier, clientIp: sr.clientIp, details: { form: 'mfa' } });
        this.showLogin(res, resumeUrl, sr, { error: this.deps.branding.texts['login.formExpired'], status: 400 });
        return undefined;
      }
      presented = { kind: 'second-factor', flow: body.MfaFlow, code: body.Code };
    } else if (req.method === 'POST' && RESULT_FIELD in body && this.deps.certificate) {
      const token = body[this.deps.csrf.field];
      const result = (await this.deps.csrf.verify(req, token)) ? this.deps.certificate.openResult(body[RESULT_FIELD], resumeUrl, token) : undefined;
      if (!result) {
        await this.deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'certificate-result', relyingParty: sr.trust.identifier, clientIp: sr.clientIp, details: { method: 'certificate' } });
        this.showLogin(res, resumeUrl, sr, { error: this.deps.branding.texts['certificate.expired'], status: 400 });
        return undefined;
      }
      presented = { kind: 'certificate', ...result };
    }
    // The MFA page's post reads the session too: a step-up records MFA in the session it upgrades.
    const live = (presented.kind === 'nothing' && !sr.fresh) || presented.kind === 'second-factor' ? await this.deps.cookie.current(req) : undefined;
    const outcome = await this.deps.pipeline.run(sr, presented, live?.data);
    return this.render(req, res, outcome, sr, resumeUrl, live);
  }

  /**
   * A sign-in that must not show a page (SAML IsPassive, Core §3.4.1): the SSO session or nothing;
   * undefined means the user would have to be asked, and nothing was sent.
   */
  async passive(req: Request, sr: SignInRequest): Promise<SignedIn | undefined> {
    const live = sr.fresh ? undefined : await this.deps.cookie.current(req);
    if (!live) return undefined;
    const outcome = await this.deps.pipeline.run(sr, { kind: 'nothing' }, live.data);
    return outcome.kind === 'authenticated' ? { auth: outcome.auth, session: live } : undefined;
  }

  private async render(req: Request, res: Response, outcome: SignInOutcome, sr: SignInRequest, resumeUrl: string, live: LiveSession | undefined): Promise<SignedIn | undefined> {
    const texts = this.deps.branding.texts;
    switch (outcome.kind) {
      case 'authenticated':
        if (outcome.fromSession && live && live.data.objectGuid === outcome.auth.user.objectGuid) {
          if (outcome.steppedUp) await this.deps.cookie.recordMfa(live, outcome.auth);
          return { auth: outcome.auth, session: live };
        }
        return { auth: outcome.auth, session: await this.deps.cookie.start(res, outcome.auth) };
      case 'needs-second-factor': {
        const instruction = outcome.prompt.message ?? texts[outcome.prompt.provider === 'totp' ? 'mfa.totp' : 'mfa.external'];
        sendPage(res, secondFactorPage({ ...this.mfaForm(res, resumeUrl, sr, outcome.flow, outcome.error), wantsCode: outcome.prompt.wantsCode, instruction }), formTargets(sr));
        return undefined;
      }
      case 'needs-enrolment':
        sendPage(res, await enrolmentPage({ ...this.mfaForm(res, resumeUrl, sr, outcome.flow, outcome.error), ...outcome.enrolment }), formTargets(sr));
        return undefined;
      case 'denied':
        throw new RequestDenied(outcome.reason, failureText(texts, outcome.reason));
      case 'needs-password-change':
        // AD FS links the expired / must-change answers to its update-password page.
        this.showLogin(res, resumeUrl, sr, { error: failureText(texts, outcome.reason), username: outcome.username, changePasswordUrl: changePasswordLink(outcome.username, resumeUrl) });
        return undefined;
      case 'needs-credentials':
        if (outcome.endSession) await this.deps.cookie.end(req, res);
        // No DC answered: 503 with Retry-After, so a load balancer or client knows to come back.
        if (outcome.error === 'directory-unavailable') res.set('Retry-After', '30');
        this.showLogin(res, resumeUrl, sr, { error: outcome.error && failureText(texts, outcome.error), username: outcome.username, ...(outcome.error === 'directory-unavailable' ? { status: 503 } : {}), certificateOnly: outcome.method === 'certificate' });
        return undefined;
    }
  }

  private mfaForm(res: Response, action: string, sr: SignInRequest, flow: string, error: 'wrong-code' | 'pending' | undefined) {
    const texts = this.deps.branding.texts;
    return {
      branding: this.deps.branding,
      action,
      csrfField: this.deps.csrf.field,
      csrfToken: this.deps.csrf.issue(res.req, res),
      flow,
      relyingPartyName: sr.trust.name,
      error: error && texts[error === 'pending' ? 'mfa.pending' : 'mfa.wrongCode'],
    };
  }

  private showLogin(res: Response, action: string, sr: SignInRequest, p: { error?: string | undefined; username?: unknown; status?: number; changePasswordUrl?: string; certificateOnly?: boolean }): void {
    sendPage(
      res,
      loginPage({
        branding: this.deps.branding,
        action,
        csrfField: this.deps.csrf.field,
        csrfToken: this.deps.csrf.issue(res.req, res),
        username: typeof p.username === 'string' ? p.username.slice(0, 256) : undefined,
        error: p.error,
        relyingPartyName: sr.trust.name,
        changePasswordUrl: p.changePasswordUrl,
        certificateUrl: this.deps.certificate?.link(action, this.deps.csrf.issue(res.req, res)),
        certificateOnly: p.certificateOnly,
      }),
      { status: p.status ?? 200, ...formTargets(sr) },
    );
  }
}
