import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Audit } from '../../health/audit.js';
import { ProtocolError } from '../protocols/errors.js';
import { readWsFedMessage } from '../protocols/wsfed/message.js';
import { wsfedSignIn, type WsFedDeps } from '../protocols/wsfed/signin.js';
import { wsfedSignOut, wsfedSignOutCleanup } from '../protocols/wsfed/signout.js';
import { sendPage, type Branding } from '../ui/layout.js';
import { messagePage } from '../ui/message-page.js';

export type PassiveDeps = WsFedDeps & { audit: Audit; branding: Branding; rateLimit: RequestHandler };

/**
 * `/adfs/ls/`, AD FS's one passive endpoint: the message's own parameters say which protocol it is
 * (wa = WS-Federation; SAMLRequest will be SAML 2.0). Protocol errors become a page and an audit event.
 */
export function passiveRouter(deps: PassiveDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 50 });
  const handle = async (req: Request, res: Response) => {
    const msg = readWsFedMessage(req);
    switch (msg.wa) {
      case 'wsignin1.0':
        return wsfedSignIn(deps, msg, req, res);
      case 'wsignout1.0':
        return wsfedSignOut(deps, msg, req, res);
      case 'wsignoutcleanup1.0':
        return wsfedSignOutCleanup(deps, req, res);
    }
  };
  r.get(['/adfs/ls', '/adfs/ls/'], handle);
  // A POST is where a password arrives: the per-address bound applies before its body is read.
  r.post(['/adfs/ls', '/adfs/ls/'], deps.rateLimit, form, handle);
  r.use(['/adfs/ls', '/adfs/ls/'], async (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof ProtocolError)) return next(err);
    await deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: err.reason, clientIp: req.ip, details: { path: req.path } });
    sendPage(res, messagePage(deps.branding, { title: err.title, message: err.userMessage, reference: err.reason }), { status: err.status });
  });
  return r;
}
