import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { signingJwks } from '../keys/jwks.js';
import { deriveKey, SealedValues } from '../keys/sealing.js';
import { AdfsPath, OIDC_ISSUER_PATH } from '../metadata/endpoints.js';
import { oidcRouter } from './http/oidc-route.js';
import type { BrowserSignIn } from './http/browser-signin.js';
import type { SessionCookie } from './http/session-cookie.js';
import { OidcAccounts } from './protocols/oidc/account.js';
import { auditProviderEvents } from './protocols/oidc/audit-events.js';
import { OIDC_CLIENT_SECRETS, OidcClients } from './protocols/oidc/clients.js';
import { LiveOidcProvider, PROVIDER_SESSION_COOKIE } from './protocols/oidc/live-provider.js';
import type { LogoutThen } from './protocols/saml2/logout.js';
import { cleanupUrls } from './protocols/wsfed/signout.js';
import type { SamlEndpoint } from './http/saml-route.js';
import type { Runtime } from './runtime.js';
import type { SignInPipeline } from './signin/pipeline.js';
import type { SsoSessions } from './signin/session.js';
import type { Branding } from './ui/layout.js';

/**
 * Wires OpenID Connect (issue [O]) from the runtime and the parts the other protocols share: the
 * browser sign-in, the SSO session and its cookie, the trusts whose parties a sign-out cleans up.
 */
export function buildOidc(rt: Runtime, shared: { pipeline: SignInPipeline; signIn: BrowserSignIn; sessions: SsoSessions; cookie: SessionCookie; saml: SamlEndpoint; branding: Branding; rateLimit: RequestHandler }) {
  const { config } = rt;
  const issuer = new URL(OIDC_ISSUER_PATH, config.server.publicUrl).href;
  const clients = new OidcClients(config.oidc.clients, rt.store.oidcClients, new SealedValues(rt.kek, OIDC_CLIENT_SECRETS));
  const accounts = new OidcAccounts({
    directory: rt.directory,
    domains: config.federation.domains,
    netbiosDomain: config.directory.netbiosDomain,
    insideCorporateNetwork: (ip) => shared.pipeline.insideCorporateNetwork(ip),
    tokenLifetimeMinutes: config.oidc.idTokenLifetimeMinutes,
  });
  const log = rt.log.child({ part: 'oidc' });
  // One sign-out for every protocol, the run wsignout1.0 and SAML single logout use: the session's
  // SAML participants, then the WS-Federation parties' and front-channel clients' cleanup frames.
  const endSsoSession = async (req: IncomingMessage, res: ServerResponse, then: LogoutThen): Promise<string> => {
    const ended = await shared.cookie.end(req as Request, res as Response);
    const parties = ended?.parties ?? [];
    await rt.audit.record({ type: 'signout', outcome: 'success', user: ended?.upn, clientIp: (req as Request).ip, details: { protocol: 'oidc', parties: parties.length, hadSession: ended !== undefined } });
    return shared.saml.beginLogout(res as Response, parties, cleanupUrls(parties), then);
  };
  const live = new LiveOidcProvider(
    async (keys) => {
      // Loaded on first use, not with the CLI: oidc-provider 9 warns at import that it wants Node 22 (it runs on 20.18+).
      const { createOidcProvider } = await import('./protocols/oidc/provider.js');
      const provider = createOidcProvider({
        issuer,
        settings: config.oidc,
        clients,
        accounts,
        store: rt.store.oidc,
        jwks: keys,
        cookieKeys: [deriveKey(rt.kek, 'oidc cookies').toString('base64')],
        branding: shared.branding,
        sessionLifetimeMinutes: config.session.lifetimeMinutes,
        interactionUrl: (uid) => `${AdfsPath.oidcSignIn}${uid}`,
        endSsoSession,
      });
      auditProviderEvents(provider, rt.audit, log);
      return provider;
    },
    () => signingJwks(rt.store, rt.kek),
    config.keys.refreshSeconds * 1000,
  );
  return oidcRouter({
    live,
    clients,
    signIn: shared.signIn,
    sessions: shared.sessions,
    cookie: shared.cookie,
    audit: rt.audit,
    branding: shared.branding,
    rateLimit: shared.rateLimit,
    issuer,
    tokenLifetimeMinutes: config.oidc.idTokenLifetimeMinutes,
    providerSessionCookie: PROVIDER_SESSION_COOKIE,
  });
}
