import express, { type Request, type Response, type Router } from 'express';
import type { Domain, Tenant } from '../tenant.js';
import { accountNotFound, type EntraError } from './errors.js';
import { signOutCleanups, userRealmLookups } from './log.js';
import { autoPostPage, errorPage, managedPage, signedInPage } from './pages.js';
import { PendingSignIns } from './pending.js';
import { DEFAULT_CLOCK_SKEW_SECONDS, type RuleContext } from './rules.js';
import { registerSamlBearerGrants } from './saml-bearer.js';
import { authnRequestForm, finishSaml2, newRequestId } from './saml2.js';
import { userRealm } from './userrealm.js';
import { finishWsFed, signInRedirect, signOutRedirect } from './wsfed.js';

registerSamlBearerGrants();

export interface SignInRouterOptions {
  /** ENTRA.md §2.5: Entra's clock skew is *(unconfirmed)*; 5 minutes unless a test says otherwise. */
  clockSkewSeconds?: number;
}

/**
 * Entra's side of federated sign-in (ENTRA.md §2, §5, §6):
 * - `GET /signin?username=<upn>[&prompt=login][&mfa=1]` — home-realm discovery from the UPN suffix;
 *   `GET /signin?domain_hint=<domain>` — the deep link that skips the username (no `username` sent on);
 * - `POST /login.srf` — wsignin1.0 (`wa`, `wresult`, `wctx`) or SAML 2.0 (`SAMLResponse`, `RelayState`);
 * - `GET /login.srf?wa=wsignoutcleanup1.0` — the IdP's sign-out clean-up (logged in `signOutCleanups`);
 * - `GET /signout?username=<upn>` — to the domain's signOutUri;
 * - `GET /common/userrealm/:upn?api-version=1.0` — the rich-client lookup.
 */
export function signInRouter(ctx: () => { tenant: Tenant; baseUrl: string }, options: SignInRouterOptions = {}): Router {
  const router = express.Router();
  const pending = new PendingSignIns();
  const rules = (tenant: Tenant): RuleContext => ({ tenant, now: tenant.now(), skewSeconds: options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS });
  const fail = (res: Response, e: EntraError) => void res.status(e.status).type('html').send(errorPage(e));

  router.get('/common/userrealm/:upn', (req, res) => {
    const answer = userRealm(ctx().tenant, req.params.upn);
    userRealmLookups.push({ at: new Date().toISOString(), upn: req.params.upn, accept: req.get('accept'), accountType: answer.account_type });
    res.set('Cache-Control', 'no-store').json(answer);
  });

  router.get('/signin', (req, res) => {
    const { tenant } = ctx();
    const username = param(req, 'username');
    const hint = param(req, 'domain_hint');
    const domain = username ? tenant.domainForUpn(username) : hint ? tenant.domains.get(hint.toLowerCase()) : undefined;
    if (!domain?.isVerified) return fail(res, accountNotFound());
    const federation = domain.federation;
    if (domain.authenticationType !== 'Federated' || !federation) return void res.type('html').send(managedPage(domain.id));
    const mfaRequired = param(req, 'mfa') === '1';
    const promptLogin = param(req, 'prompt') === 'login';
    if (federation.preferredAuthenticationProtocol === 'saml') {
      const requestId = newRequestId();
      const relayState = pending.issue({ domain, username: username ?? null, mfaRequired, requestId });
      const form = authnRequestForm(federation, relayState, requestId, mfaRequired);
      return void res.type('html').send(autoPostPage(form.action, form.fields));
    }
    const wctx = pending.issue({ domain, username: username ?? null, mfaRequired });
    res.redirect(302, signInRedirect(federation, wctx, { username: username ?? null, promptLogin, mfaRequired }));
  });

  router.post('/login.srf', express.urlencoded({ extended: false, limit: '1mb' }), (req, res) => {
    const { tenant, baseUrl } = ctx();
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const answer = body.SAMLResponse !== undefined
      ? finishSaml2(body, pending, rules(tenant), `${baseUrl}/login.srf`)
      : finishWsFed(body, pending, rules(tenant));
    switch (answer.kind) {
      case 'error': return fail(res, answer.error);
      case 'redirect': return void res.redirect(302, answer.location);
      case 'post': return void res.type('html').send(autoPostPage(answer.form.action, answer.form.fields));
      case 'signed-in': return void res.type('html').send(signedInPage(answer.signIn));
    }
  });

  // MS-MWBF wsignoutcleanup1.0: the IdP's sign-out page loads this in a frame for every RP it signed in.
  router.get('/login.srf', (req, res) => {
    const wa = param(req, 'wa');
    if (wa !== 'wsignoutcleanup1.0') return void res.status(400).type('text/plain').send('unsupported');
    signOutCleanups.push({ at: new Date().toISOString(), wa });
    res.set('Cache-Control', 'no-store').type('html').send('<!DOCTYPE html><html lang="en"><head><title>Signed out</title></head><body>signed out</body></html>');
  });

  router.get('/signout', (req, res) => {
    const username = param(req, 'username');
    const domain: Domain | undefined = username ? ctx().tenant.domainForUpn(username) : undefined;
    const location = domain && domain.federation?.preferredAuthenticationProtocol === 'wsFed' ? signOutRedirect(domain) : undefined;
    // ENTRA.md §3.3: the SAML LogoutRequest is *(unconfirmed)*, so only WS-Fed domains are sent on.
    if (!location) return void res.type('html').send('<!DOCTYPE html><html lang="en"><head><title>Signed out</title></head><body><h1>You signed out of your account</h1></body></html>');
    res.redirect(302, location);
  });

  return router;
}

function param(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

