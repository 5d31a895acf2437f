import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Audit } from '../../health/audit.js';
import { AdfsPath } from '../../metadata/endpoints.js';
import type { SignInPipeline } from '../signin/pipeline.js';
import { changePasswordPage } from '../ui/change-password-page.js';
import { escapeHtml } from '../ui/html.js';
import { sendPage, type Branding } from '../ui/layout.js';
import { messagePage } from '../ui/message-page.js';
import type { Csrf } from './csrf.js';

/**
 * Where "continue" may lead after a change: only our own sign-in endpoint, as a relative path
 * (`/adfs/ls/?wa=…`), so the page cannot be used as an open redirect. Anything else is dropped.
 */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 4096 || !value.startsWith(AdfsPath.passive)) return undefined;
  // Backslashes and control characters are how browsers get talked into another host.
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return undefined;
  const base = 'https://gatehouse.invalid';
  const url = new URL(value, base);
  return url.origin === base && url.pathname === AdfsPath.passive ? value : undefined;
}

interface ChangePasswordDeps {
  pipeline: SignInPipeline;
  csrf: Csrf;
  branding: Branding;
  audit: Audit;
  rateLimit: RequestHandler;
}

/** `/adfs/portal/updatepassword/` (ARCHITECTURE.md endpoints): AD FS's change-password form, and its POST through the pipeline. */
export function changePasswordRouter(deps: ChangePasswordDeps): Router {
  const r = Router();
  const paths = [AdfsPath.changePassword.replace(/\/$/, ''), AdfsPath.changePassword];
  r.get(paths, (req, res) => {
    const q = req.query;
    render(deps, res, { username: typeof q.username === 'string' ? q.username : undefined, returnUrl: safeReturnPath(q.returnUrl) });
  });
  r.post(paths, deps.rateLimit, express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), (req, res) => submit(deps, req, res));
  return r;
}

async function submit(deps: ChangePasswordDeps, req: Request, res: Response): Promise<void> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const texts = deps.branding.texts;
  const username = typeof body.UserName === 'string' ? body.UserName : undefined;
  const returnUrl = safeReturnPath(body.returnUrl);
  if (!(await deps.csrf.verify(req, body[deps.csrf.field]))) {
    await deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'csrf', clientIp: req.ip, details: { path: AdfsPath.changePassword } });
    render(deps, res, { username, returnUrl, error: texts['login.formExpired'] }, 400);
    return;
  }
  // Checked here, before the directory: a typo must not count as a change attempt.
  if (typeof body.NewPassword === 'string' && body.NewPassword !== body.ConfirmNewPassword) {
    render(deps, res, { username, returnUrl, error: texts['password.mismatch'] });
    return;
  }
  const result = await deps.pipeline.changePassword(req.ip ?? '', body.UserName, body.OldPassword, body.NewPassword);
  if (!result.ok) {
    render(deps, res, { username, returnUrl, error: texts[`password.failure.${result.reason}`] });
    return;
  }
  const extra = returnUrl ? `<p><a href="${escapeHtml(returnUrl)}" id="continueLink">${escapeHtml(texts['password.continue'])}</a></p>` : '';
  sendPage(res, messagePage(deps.branding, { title: texts['password.title'], message: texts['password.changed'], extra }));
}

function render(deps: ChangePasswordDeps, res: Response, p: { username?: string | undefined; returnUrl?: string | undefined; error?: string }, status = 200): void {
  sendPage(
    res,
    changePasswordPage({
      branding: deps.branding,
      action: AdfsPath.changePassword,
      csrfField: deps.csrf.field,
      csrfToken: deps.csrf.issue(res.req, res),
      username: p.username?.slice(0, 256),
      returnUrl: p.returnUrl,
      error: p.error,
    }),
    { status },
  );
}
