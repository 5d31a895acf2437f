import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Audit } from '../../health/audit.js';
import { AdfsPath, OIDC_ISSUER_PATH } from '../../metadata/endpoints.js';
import type { OidcClients } from '../protocols/oidc/clients.js';
import { isSilent, loginResult, signInRequestFor } from '../protocols/oidc/interaction.js';
import type { LiveOidcProvider } from '../protocols/oidc/live-provider.js';
import { ProtocolError, RequestDenied } from '../protocols/errors.js';
import type { SsoSessions } from '../signin/session.js';
import { sendPage, type Branding } from '../ui/layout.js';
import { oidcErrorPage } from '../ui/oidc-pages.js';
import type { BrowserSignIn } from './browser-signin.js';
import type { SessionCookie } from './session-cookie.js';

export interface OidcRouteDeps {
  live: LiveOidcProvider;
  clients: OidcClients;
  signIn: BrowserSignIn;
  sessions: SsoSessions;
  cookie: SessionCookie;
  audit: Audit;
  branding: Branding;
  rateLimit: RequestHandler;
  issuer: string;
  tokenLifetimeMinutes: number;
  /** The provider's session cookie (it is dropped from an authorization request when Gatehouse's SSO session is over). */
  providerSessionCookie: string;
}

/** Paths the provider answers: its own endpoints below /adfs (AD FS's), not Gatehouse's sign-in step. */
function isProviderPath(path: string): boolean {
  if (path.startsWith(AdfsPath.oidcSignIn)) return false;
  return path.startsWith('/adfs/oauth2/') || [AdfsPath.oidcDiscovery, AdfsPath.oidcKeys, AdfsPath.oidcUserinfo].includes(path.replace(/\/+$/, '') as never);
}

/** The Cookie header without the named cookie (and its signature). */
function withoutCookie(header: string, name: string): string {
  return header
    .split(';')
    .filter((part) => {
      const key = part.split('=')[0]!.trim();
      return key !== name && key !== `${name}.sig`;
    })
    .join(';');
}

/**
 * OpenID Connect at AD FS's paths: the provider (sts/protocols/oidc/) answers its endpoints; the
 * sign-in it asks for (its "interaction") is Gatehouse's own flow, the same BrowserSignIn — login
 * page, password, lockout, SSO session, audit — as WS-Federation and SAML.
 */
export function oidcRouter(deps: OidcRouteDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  const signInPath = `${AdfsPath.oidcSignIn}:uid`;

  const interaction = async (req: Request, res: Response) => {
    const { provider } = await deps.live.get();
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== req.params.uid) throw new ProtocolError(400, 'oidc-interaction-mismatch', 'Sign-in expired', 'This sign-in page is no longer valid. Return to the application and sign in again.');
    const clientId = String(details.params.client_id ?? '');
    const client = await deps.clients.find(clientId);
    if (!client) {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the client is no longer registered' }, { mergeWithLastSubmission: false });
      return;
    }
    const request = signInRequestFor({ params: details.params, prompt: details.prompt }, client, req.ip ?? '', deps.tokenLifetimeMinutes);
    let signedIn;
    try {
      if (isSilent(details)) {
        // prompt=none: Gatehouse's SSO session (of any protocol's sign-in) or OIDC Core 3.1.2.6
        // login_required, never a page (the provider audits the error as it resumes: authorization.error).
        signedIn = await deps.signIn.passive(req, request);
        if (!signedIn) {
          await provider.interactionFinished(req, res, { error: 'login_required', error_description: 'the end-user is not signed in' }, { mergeWithLastSubmission: false });
          return;
        }
      } else {
        signedIn = await deps.signIn.run(req, res, request, `${AdfsPath.oidcSignIn}${encodeURIComponent(details.uid)}`);
      }
    } catch (err) {
      // Refused by the sign-in flow (e.g. acr_values asks for a method we do not perform; audited
      // there): the client gets OIDC Core 3.1.2.6 access_denied at its redirect URI.
      if (!(err instanceof RequestDenied)) throw err;
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: err.reason }, { mergeWithLastSubmission: false });
      return;
    }
    if (!signedIn) return;
    if (client.frontchannel_logout_uri) {
      // OpenID Connect Front-Channel Logout 1.0 §2: the client's logout URI with the issuer, loaded in a frame at sign-out.
      const url = new URL(client.frontchannel_logout_uri);
      url.searchParams.set('iss', deps.issuer);
      await deps.sessions.addParty(signedIn.session, { identifier: client.client_id, signOutUrl: url.href, frontChannel: true });
    }
    await provider.interactionFinished(req, res, loginResult(signedIn.auth), { mergeWithLastSubmission: false });
  };
  r.get(signInPath, interaction);
  // A POST is where a password arrives: the per-address bound applies before its body is read.
  r.post(signInPath, deps.rateLimit, form, interaction);

  // The token endpoint takes client secrets and client assertions: bounded per address like a login form.
  r.post(AdfsPath.oidcToken, deps.rateLimit);
  r.use(async (req: Request, res: Response, next: NextFunction) => {
    if (!isProviderPath(req.path)) return next();
    const live = await deps.live.get();
    // One SSO session for every protocol: once Gatehouse's has ended (WS-Federation or SAML
    // sign-out, expiry, revocation) the provider's own must not sign the user in again.
    if (req.path.startsWith(AdfsPath.oidcAuthorize) && req.headers.cookie && !(await deps.cookie.current(req))) {
      req.headers.cookie = withoutCookie(req.headers.cookie, deps.providerSessionCookie);
    }
    // Below the issuer path, as the provider's routes are; AD FS clients also write a trailing slash.
    const q = req.originalUrl.indexOf('?');
    req.url = req.path.replace(/(.)\/+$/, '$1').slice(OIDC_ISSUER_PATH.length) + (q >= 0 ? req.originalUrl.slice(q) : '');
    await live.handle(req, res);
  });
  r.use(signInPath, async (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof ProtocolError) && (err as { name?: string }).name !== 'SessionNotFound') return next(err);
    const reason = err instanceof ProtocolError ? err.reason : 'oidc-interaction-expired';
    await deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason, clientIp: req.ip, details: { path: req.path } });
    sendPage(res, oidcErrorPage(deps.branding, reason), { status: err instanceof ProtocolError ? err.status : 400 });
  });
  return r;
}
