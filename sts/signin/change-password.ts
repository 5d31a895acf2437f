import type { Request, Response } from 'express';
import type { Audit } from '../../health/audit.js';
import type { Csrf } from '../http/csrf.js';
import { escapeHtml } from '../ui/html.js';
import { changePasswordPage } from '../ui/change-password-page.js';
import { sendPage, type Branding } from '../ui/layout.js';
import { messagePage } from '../ui/message-page.js';
import type { SignInPipeline } from './pipeline.js';

export const changePasswordPath = '/adfs/portal/updatepassword/';

/**
 * Where "continue" may lead after a change: only our own sign-in endpoint, as a relative path
 * (`/adfs/ls/?wa=…`), so the page cannot be used as an open redirect. Anything else is dropped.
 */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 4096 || !value.startsWith('/adfs/ls/')) return undefined;
  // Backslashes and control characters are how browsers get talked into another host.
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return undefined;
  const base = 'https://gatehouse.invalid';
  const url = new URL(value, base);
  return url.origin === base && url.pathname === '/adfs/ls/' ? value : undefined;
}

/** The login page's link for an expired or must-change password: the name and the sign-in to resume. */
export function changePasswordLink(username: string | undefined, returnUrl: string): string {
  const params = new URLSearchParams({ ...(username ? { username } : {}), returnUrl });
  return `${changePasswordPath}?${params}`;
}

/** AD FS's /adfs/portal/updatepassword/: the form, and its POST through the pipeline. */
export class ChangePasswordForm {
  constructor(private readonly deps: { pipeline: SignInPipeline; csrf: Csrf; branding: Branding; audit: Audit }) {}

  show(req: Request, res: Response): void {
    const q = req.query;
    this.render(res, { username: typeof q.username === 'string' ? q.username : undefined, returnUrl: safeReturnPath(q.returnUrl) });
  }

  async submit(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const texts = this.deps.branding.texts;
    const username = typeof body.UserName === 'string' ? body.UserName : undefined;
    const returnUrl = safeReturnPath(body.returnUrl);
    if (!(await this.deps.csrf.verify(req, body[this.deps.csrf.field]))) {
      await this.deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'csrf', clientIp: req.ip, details: { path: changePasswordPath } });
      this.render(res, { username, returnUrl, error: texts['login.formExpired'] }, 400);
      return;
    }
    // Checked here, before the directory: a typo must not count as a change attempt.
    if (typeof body.NewPassword === 'string' && body.NewPassword !== body.ConfirmNewPassword) {
      this.render(res, { username, returnUrl, error: texts['password.mismatch'] });
      return;
    }
    const result = await this.deps.pipeline.changePassword(req.ip ?? '', body.UserName, body.OldPassword, body.NewPassword);
    if (!result.ok) {
      this.render(res, { username, returnUrl, error: texts[`password.failure.${result.reason}`] });
      return;
    }
    const extra = returnUrl ? `<p><a href="${escapeHtml(returnUrl)}" id="continueLink">${escapeHtml(texts['password.continue'])}</a></p>` : '';
    sendPage(res, messagePage(this.deps.branding, { title: texts['password.title'], message: texts['password.changed'], extra }));
  }

  private render(res: Response, p: { username?: string | undefined; returnUrl?: string | undefined; error?: string }, status = 200): void {
    sendPage(
      res,
      changePasswordPage({
        branding: this.deps.branding,
        action: changePasswordPath,
        csrfField: this.deps.csrf.field,
        csrfToken: this.deps.csrf.issue(res.req, res),
        username: p.username?.slice(0, 256),
        returnUrl: p.returnUrl,
        error: p.error,
      }),
      { status },
    );
  }
}
