import type { Request, Response } from 'express';
import type { Audit } from '../../health/audit.js';
import type { Csrf } from '../http/csrf.js';
import { RequestDenied } from '../protocols/errors.js';
import type { Branding } from '../ui/layout.js';
import { sendPage } from '../ui/layout.js';
import { loginPage } from '../ui/login-page.js';
import { failureText } from '../ui/texts.js';
import { changePasswordLink } from './change-password.js';
import type { SignInPipeline } from './pipeline.js';
import type { LiveSession, SsoSessions } from './session.js';
import type { Authentication, SignInRequest } from './types.js';

export interface SignedIn {
  auth: Authentication;
  session: LiveSession;
}

/**
 * The browser side of the pipeline: SSO reuse, else the login page and its POST. Protocol adapters
 * call `authenticate`; when it returns undefined it has already answered (the page).
 */
export class FormsSignIn {
  constructor(
    private readonly deps: { pipeline: SignInPipeline; sessions: SsoSessions; csrf: Csrf; branding: Branding; audit: Audit },
  ) {}

  /**
   * `resumeUrl`: where the login form posts back — a fixed path with the protocol message the
   * adapter re-encoded, never the request line (an absolute-form request could name another host).
   */
  async authenticate(req: Request, res: Response, sr: SignInRequest, resumeUrl: string): Promise<SignedIn | undefined> {
    const { pipeline, sessions } = this.deps;
    // The requested method is audited, not echoed: the page must not display attacker-chosen text.
    const missing = pipeline.unsatisfiableMethods(sr);
    if (missing.length) {
      await this.deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'method-unavailable', relyingParty: sr.trust.identifier, clientIp: sr.clientIp, details: { requested: missing.join(' ').slice(0, 512) } });
      throw new RequestDenied('method-unavailable', failureText(this.deps.branding.texts, 'method-unavailable'));
    }

    const body = (req.body ?? {}) as Record<string, unknown>;
    if (req.method === 'POST' && 'UserName' in body) {
      if (!(await this.deps.csrf.verify(req, body[this.deps.csrf.field]))) {
        await this.deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'csrf', relyingParty: sr.trust.identifier, clientIp: sr.clientIp });
        this.showLogin(res, resumeUrl, sr, this.deps.branding.texts['login.formExpired'], body.UserName, 400);
        return undefined;
      }
      const outcome = await pipeline.withPassword(sr, body.UserName, body.Password, body.Kmsi === 'true');
      if (!outcome.ok) {
        // AD FS links the expired / must-change answers to its update-password page.
        const mustChange = outcome.reason === 'password-expired' || outcome.reason === 'must-change-password';
        const typed = typeof body.UserName === 'string' ? body.UserName.slice(0, 256) : undefined;
        this.showLogin(res, resumeUrl, sr, failureText(this.deps.branding.texts, outcome.reason), body.UserName, 200, mustChange ? changePasswordLink(typed, resumeUrl) : undefined);
        return undefined;
      }
      const session = await sessions.start(res, outcome.auth, outcome.auth.user.upn);
      return { auth: outcome.auth, session };
    }

    const live = sr.fresh ? undefined : await sessions.current(req);
    const tooOld = live && sr.maxAgeMinutes !== undefined && Date.now() - Date.parse(live.data.instant) > sr.maxAgeMinutes * 60_000;
    if (live && !tooOld) {
      const outcome = await pipeline.fromSession(sr, live.data);
      if (outcome.ok) return { auth: outcome.auth, session: live };
      // The account was disabled, expired, locked or removed since: the session is over.
      await sessions.end(req, res);
    }
    this.showLogin(res, resumeUrl, sr, undefined, sr.loginHint);
    return undefined;
  }

  private showLogin(res: Response, action: string, sr: SignInRequest, error: string | undefined, username: unknown, status = 200, changePasswordUrl?: string): void {
    sendPage(
      res,
      loginPage({
        branding: this.deps.branding,
        action,
        csrfField: this.deps.csrf.field,
        csrfToken: this.deps.csrf.issue(res.req, res),
        username: typeof username === 'string' ? username.slice(0, 256) : undefined,
        error,
        relyingPartyName: sr.trust.name,
        changePasswordUrl,
      }),
      { status },
    );
  }
}
