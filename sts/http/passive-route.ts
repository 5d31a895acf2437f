import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Audit } from '../../health/audit.js';
import { AdfsPath } from '../../metadata/endpoints.js';
import { BadRequest, ProtocolError } from '../protocols/errors.js';
import { readWsFedMessage, type WsFedMessage } from '../protocols/wsfed/message.js';
import { beginWsFedSignIn, completeWsFedSignIn, type FormPost } from '../protocols/wsfed/signin.js';
import { wsfedSignOut } from '../protocols/wsfed/signout.js';
import type { SsoSessions } from '../signin/session.js';
import type { TokenService } from '../tokens/token-service.js';
import type { TrustRegistry } from '../trusts/trust.js';
import { autoPostPage } from '../ui/auto-post.js';
import { sendPage, type Branding } from '../ui/layout.js';
import { messagePage } from '../ui/message-page.js';
import { signOutPage } from '../ui/signout-page.js';
import type { BrowserSignIn } from './browser-signin.js';
import type { SamlEndpoint } from './saml-route.js';
import type { SessionCookie } from './session-cookie.js';

export interface PassiveDeps {
  trusts: TrustRegistry;
  signIn: BrowserSignIn;
  sessions: SsoSessions;
  cookie: SessionCookie;
  tokens: TokenService;
  audit: Audit;
  branding: Branding;
  rateLimit: RequestHandler;
  /** Banned client addresses get no page and no SSO either. */
  ban: RequestHandler;
  /** SAML 2.0 at the same endpoint (sts/http/saml-route.ts). */
  saml?: SamlEndpoint;
}

/**
 * `/adfs/ls/`, AD FS's one passive endpoint: the message's own parameters say which protocol it is
 * (wa = WS-Federation; SAMLRequest will be SAML 2.0). The adapter reads the message and turns an
 * authenticated user into its answer; the sign-in in between and every page are this layer's.
 * Protocol errors become a page and an audit event.
 */
export function passiveRouter(deps: PassiveDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 50 });
  const handle = async (req: Request, res: Response) => {
    if (deps.saml?.wants(req)) return deps.saml.handle(req, res);
    const msg = readWsFedMessage(req);
    switch (msg.wa) {
      case 'wsignin1.0':
        return signIn(deps, msg, req, res);
      case 'wsignout1.0':
        return signOut(deps, msg, req, res);
      case 'wsignoutcleanup1.0':
        return signOutCleanup(deps, req, res);
    }
  };
  const paths = [AdfsPath.passive.replace(/\/$/, ''), AdfsPath.passive];
  r.get(paths, deps.ban, handle);
  // A POST is where a password arrives: the per-address bound applies before its body is read.
  r.post(paths, deps.rateLimit, form, handle);
  r.use(paths, protocolErrorPage(deps));
  return r;
}

/** A protocol error (or an oversized body) as a page and an audit event; anything else goes on to the app's handler. */
export function protocolErrorPage(deps: Pick<PassiveDeps, 'audit' | 'branding'>) {
  return async (error: unknown, req: Request, res: Response, next: NextFunction) => {
    const err = bodyTooLarge(error) ? new BadRequest('request-too-large', 'The request is too large.') : error;
    if (!(err instanceof ProtocolError)) return next(err);
    await deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: err.reason, clientIp: req.ip, details: { path: req.path } });
    sendPage(res, messagePage(deps.branding, { title: err.title, message: err.userMessage, reference: err.reason }), { status: err.status });
  };
}

async function signIn(deps: PassiveDeps, msg: Extract<WsFedMessage, { wa: 'wsignin1.0' }>, req: Request, res: Response): Promise<void> {
  const begun = beginWsFedSignIn(deps.trusts, msg, req.ip ?? '');
  const signedIn = await deps.signIn.run(req, res, begun.request, begun.resumeUrl);
  if (!signedIn) return;
  const answer = await completeWsFedSignIn(deps.tokens, begun, signedIn.auth);
  await deps.sessions.addParty(signedIn.session, { identifier: begun.trust.identifier, signOutUrl: begun.trust.signOutUrl });
  postForm(res, deps.branding, answer);
}

/** The auto-submitted form; the page's CSP allows a form post to that origin only. */
function postForm(res: Response, branding: Branding, post: FormPost): void {
  sendPage(res, autoPostPage(branding, post.action, post.fields), { formTargets: [new URL(post.action).origin] });
}

/** The form parser's refusal of an oversized body (body-parser's 413 `entity.too.large`, `parameters.too.many`). */
function bodyTooLarge(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return type === 'entity.too.large' || type === 'parameters.too.many';
}

async function signOut(deps: PassiveDeps, msg: Extract<WsFedMessage, { wa: 'wsignout1.0' }>, req: Request, res: Response): Promise<void> {
  const ended = await deps.cookie.end(req, res);
  const plan = wsfedSignOut(deps.trusts, msg, ended?.parties ?? []);
  await deps.audit.record({
    type: 'signout',
    outcome: 'success',
    user: ended?.upn,
    relyingParty: plan.trustIdentifier,
    clientIp: req.ip,
    details: { parties: plan.cleanups.length, hadSession: ended !== undefined },
  });
  // SAML participants are logged out one after the other before the page (issue [C] item 5).
  if (deps.saml && ended?.parties.some((p) => p.saml)) return deps.saml.signOutAll(req, res, ended.parties, plan.cleanups, plan.back);
  sendPage(res, signOutPage(deps.branding, plan), { frameTargets: [...new Set(plan.cleanups.map((u) => u.origin))] });
}

/** wsignoutcleanup1.0 from a relying party: end our session quietly (AD FS answers with an image). */
async function signOutCleanup(deps: PassiveDeps, req: Request, res: Response): Promise<void> {
  const ended = await deps.cookie.end(req, res);
  if (ended) await deps.audit.record({ type: 'signout', outcome: 'success', user: ended.upn, clientIp: req.ip, details: { cleanup: true } });
  res.status(200).set('Cache-Control', 'no-store').type('text/plain').send('signed out');
}
