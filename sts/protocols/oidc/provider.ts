import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { errors, interactionPolicy, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../../../config/load.js';
import { DirectoryUnavailable } from '../../../directory/pool.js';
import type { SigningJwk } from '../../../keys/jwks.js';
import { AdfsPath, OIDC_ISSUER_PATH } from '../../../metadata/endpoints.js';
import type { OidcStore } from '../../../store/types.js';
import type { Branding } from '../../ui/layout.js';
import { deviceCodePage, deviceConfirmPage, deviceDonePage, oidcErrorPage } from '../../ui/oidc-pages.js';
import { signOutPage } from '../../ui/signout-page.js';
import type { OidcAccounts } from './account.js';
import { storeAdapter } from './adapter.js';
import { clientIp } from './audit-events.js';
import { SILENT_SIGN_IN } from './interaction.js';
import { providerMetadata, type OidcClients } from './clients.js';
import { PROVIDER_SESSION_COOKIE } from './live-provider.js';
import { SCOPE_CLAIMS } from './jwt-claims.js';

/** oidc-provider's routes at AD FS's paths, below the issuer https://{host}/adfs (AD FS 2016+). */
const below = (path: string) => path.slice(OIDC_ISSUER_PATH.length);
export const OIDC_ROUTES = {
  authorization: below(AdfsPath.oidcAuthorize),
  token: below(AdfsPath.oidcToken),
  userinfo: below(AdfsPath.oidcUserinfo),
  jwks: below(AdfsPath.oidcKeys),
  end_session: below(AdfsPath.oidcLogout),
  device_authorization: below(AdfsPath.oidcDeviceCode),
  code_verification: below(AdfsPath.oidcDeviceAuth),
};

export interface OidcProviderDeps {
  /** https://{host}/adfs, as AD FS's issuer. */
  issuer: string;
  settings: Config['oidc'];
  clients: OidcClients;
  accounts: OidcAccounts;
  store: OidcStore;
  /** The active signing key first, then the next and previous ones (keys/jwks.ts). */
  jwks: SigningJwk[];
  /** Keys of the provider's signed cookies (derived from keys.keyEncryptionKey, the same on every node). */
  cookieKeys: string[];
  branding: Branding;
  sessionLifetimeMinutes: number;
  /** Where the provider sends the browser to sign in: Gatehouse's sign-in flow for this interaction. */
  interactionUrl: (uid: string) => string;
  /**
   * Ends Gatehouse's SSO session of this browser and begins the one sign-out of every protocol
   * (SAML participants' single logout, WS-Fed and front-channel cleanups), which ends by posting
   * `then`, the provider's logout confirmation; where the browser goes on.
   */
  endSsoSession: (req: IncomingMessage, res: ServerResponse, then: { action: string; fields: Record<string, string>; formTargets: string[] }) => Promise<string>;
}

const html = (ctx: KoaContextWithOIDC, body: string, status = 200) => {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
};

/**
 * The certified OpenID Provider (panva/oidc-provider) configured as AD FS's: authorization code
 * with PKCE (required of public clients), refresh tokens that slide, the device code grant,
 * RP-initiated logout, resource indicators for the AD FS `resource` parameter, scopes openid
 * profile email allatclaims, RS256 with the token-signing keys. Interaction (the sign-in) is
 * Gatehouse's own flow: the provider only redirects to `interactionUrl`.
 */
export function createOidcProvider(deps: OidcProviderDeps): Provider {
  const s = deps.settings;
  const minutes = (m: number) => m * 60;
  const maxRefresh = s.refreshTokenMaxLifetimeDays * 86_400;
  const resources = new Map(s.resources.map((r) => [r.identifier, r]));

  /**
   * The account for a token, userinfo or pairwise `sub`: with no domain controller answering, the
   * provider must not answer its own server_error 500 ("under overload slow down, never 500"):
   * 503 with Retry-After and temporarily_unavailable (OAuth 2.0 §4.1.2.1's code for it, which
   * Entra ID answers at its token endpoint too), audited by the provider's error event.
   */
  const readUser = async (ctx: KoaContextWithOIDC, accountId: string) => {
    try {
      return await deps.accounts.user(accountId);
    } catch (err) {
      if (!(err instanceof DirectoryUnavailable)) throw err;
      const unavailable = new errors.CustomOIDCProviderError('temporarily_unavailable', 'no domain controller answered; try again later');
      Object.assign(unavailable, { status: 503, statusCode: 503 });
      ctx.set('Retry-After', '30');
      throw unavailable;
    }
  };

  const config: Configuration = {
    adapter: storeAdapter(deps.store, deps.clients),
    clients: deps.clients.configuredClients().map((c) => providerMetadata(c) as ClientMetadata),
    jwks: { keys: deps.jwks },
    async findAccount(ctx, id, token) {
      const user = await readUser(ctx, id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => {
          const client = await deps.clients.find(ctx.oidc.client!.clientId);
          if (!client) return { sub: id };
          const amr = (token as { amr?: string[] } | undefined)?.amr ?? ctx.oidc.session?.amr ?? [];
          const authTime = (token as { authTime?: number } | undefined)?.authTime ?? ctx.oidc.session?.authTime();
          return deps.accounts.claims(client, user, { amr, authTime, clientIp: clientIp(ctx) });
        },
      };
    },
    // `subject: immutableId` clients are "pairwise" to the provider: their sub is the ImmutableID, in ID tokens, userinfo and JWT access tokens alike.
    subjectTypes: ['public', 'pairwise'],
    async pairwiseIdentifier(ctx, accountId, client) {
      const [own, user] = await Promise.all([deps.clients.find(client.clientId), readUser(ctx, accountId)]);
      if (!own || !user) throw new errors.InvalidGrant('the account or the client is gone');
      return deps.accounts.subject(own, user);
    },
    claims: Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
    scopes: ['openid', 'offline_access', 'profile', 'email', 'allatclaims'],
    // AD FS puts the scope's claims into the ID token even when an access token is issued too.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    // OAuth 2.0 Security BCP §2.1.1: a public client proves the code is its own with PKCE.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    // OIDC Core 3.1.2.1: the authorization endpoint answers GET and POST.
    enableHttpPostMethods: true,
    cookies: {
      keys: deps.cookieKeys,
      long: { sameSite: 'none', secure: true, httpOnly: true },
      short: { sameSite: 'lax', secure: true, httpOnly: true },
      names: { session: PROVIDER_SESSION_COOKIE, interaction: 'gh_oidc_interaction', resume: 'gh_oidc_resume' },
    },
    routes: OIDC_ROUTES,
    interactions: { url: (_ctx, interaction) => deps.interactionUrl(interaction.uid), policy: signInPolicy() },
    features: {
      devInteractions: { enabled: false },
      // Not an AD FS endpoint, and outside the /adfs/oauth2/ paths served.
      pushedAuthorizationRequests: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx) {
          // The confirmation's redirect back to the client is part of the form's navigation (CSP form-action).
          const back = ctx.oidc.params?.post_logout_redirect_uri;
          const formTargets = ["'self'", ...(typeof back === 'string' && URL.canParse(back) ? [new URL(back).origin] : [])];
          const fields = { xsrf: String(ctx.oidc.session?.state?.secret ?? ''), logout: 'yes' };
          const continueAt = await deps.endSsoSession(ctx.req, ctx.res, { action: ctx.oidc.urlFor('end_session_confirm'), fields, formTargets });
          ctx.set('Cache-Control', 'no-store');
          ctx.status = 303;
          ctx.redirect(continueAt);
        },
        async postLogoutSuccessSource(ctx) {
          html(ctx, signOutPage(deps.branding, { cleanups: [] }));
        },
      },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        async userCodeInputSource(ctx, form, _out, err) {
          html(ctx, deviceCodePage(deps.branding, { form, error: err !== undefined && err.name !== 'AbortedError' }), err ? 400 : 200);
        },
        async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
          html(ctx, deviceConfirmPage(deps.branding, { form, clientName: client.clientName ?? client.clientId, userCode }));
        },
        async successSource(ctx) {
          html(ctx, deviceDonePage(deps.branding));
        },
      },
      resourceIndicators: {
        enabled: true,
        // No resource asked for: the access token is for userinfo only (AD FS: urn:microsoft:userinfo).
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => true,
        async getResourceServerInfo(_ctx, indicator, client) {
          const resource = resources.get(indicator);
          const own = await deps.clients.find(client.clientId);
          // AD FS: a Web API answers only the clients it permits (MSIS9602 otherwise).
          if (!resource || !own?.resources.includes(indicator)) throw new errors.InvalidTarget(`the client may not get tokens for ${indicator}`);
          return {
            scope: resource.scopes.join(' '),
            audience: resource.identifier,
            accessTokenTTL: minutes(resource.accessTokenLifetimeMinutes ?? s.accessTokenLifetimeMinutes),
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    // AD FS asks no consent of the user for an application the administrator registered: every
    // scope, claim and resource the request names (and the provider let through) is granted.
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const known = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      let grant = known ? await ctx.oidc.provider.Grant.find(known) : undefined;
      if (!grant || grant.accountId !== session.accountId) grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      // AD FS gives every client allowed to refresh a refresh token, offline_access asked or not
      // (without prompt=consent the provider drops it, OIDC Core §11); MSAL asks for it again on refresh.
      const { params } = ctx.oidc;
      if (params?.scope && client.grantTypeAllowed('refresh_token') && !ctx.oidc.requestParamScopes.has('offline_access')) params.scope = `${String(params.scope)} offline_access`;
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      const claims = Object.keys(ctx.oidc.requestParamClaims ?? {});
      if (claims.length > 0) grant.addOIDCClaims(claims);
      for (const [indicator, rs] of Object.entries(ctx.oidc.resourceServers ?? {})) {
        const offered = new Set((rs.scope ?? '').split(' ').filter(Boolean));
        const asked = [...ctx.oidc.requestParamScopes].filter((sc) => offered.has(sc));
        grant.addResourceScope(indicator, (asked.length > 0 ? asked : [...offered]).join(' '));
      }
      await grant.save();
      return grant;
    },
    // AD FS issues a refresh token with every code (MSAL relies on it), not only for offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Sliding: every use returns a new refresh token and consumes the old one (a replay revokes the grant).
    rotateRefreshToken: (ctx) => (ctx.oidc.entities.RefreshToken?.totalLifetime() ?? 0) < maxRefresh,
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? minutes(s.accessTokenLifetimeMinutes),
      AuthorizationCode: s.authorizationCodeLifetimeSeconds,
      IdToken: minutes(s.idTokenLifetimeMinutes),
      DeviceCode: minutes(s.deviceCodeLifetimeMinutes),
      RefreshToken: (_ctx, token) => Math.max(1, Math.min(minutes(s.refreshTokenLifetimeMinutes), maxRefresh - token.totalLifetime())),
      Grant: maxRefresh,
      Interaction: 3600,
      Session: minutes(deps.sessionLifetimeMinutes),
    },
    async extraTokenClaims(ctx, token) {
      // Only JWT access tokens (for a resource) carry claims; opaque ones are for userinfo.
      const rs = (token as { resourceServer?: { accessTokenFormat?: string; audience?: string } }).resourceServer;
      if (!rs || rs.accessTokenFormat !== 'jwt' || !('accountId' in token) || !token.accountId) return undefined;
      const [client, user] = await Promise.all([deps.clients.find(token.clientId!), readUser(ctx, token.accountId)]);
      if (!client || !user) return undefined;
      const e = ctx.oidc.entities;
      const from = (e.AuthorizationCode ?? e.RefreshToken ?? e.DeviceCode) as { amr?: string[]; authTime?: number } | undefined;
      const rules = resources.get(rs.audience ?? '')?.claims ?? [];
      const claims = deps.accounts.claims(client, user, { amr: from?.amr ?? [], authTime: from?.authTime, clientIp: clientIp(ctx) }, rules);
      // AD FS access tokens name the client (appid) and the methods (amr) too.
      return { ...claims, appid: client.client_id, ...(from?.amr?.length ? { amr: from.amr } : {}), ...(from?.authTime ? { auth_time: from.authTime } : {}) };
    },
    async renderError(ctx, out) {
      html(ctx, oidcErrorPage(deps.branding, String(out.error ?? 'server_error')), ctx.status >= 400 ? ctx.status : 400);
    },
  };
  return new Provider(deps.issuer, config);
}

/**
 * The provider's prompts without its consent for native clients: AD FS asks no consent for an
 * application the administrator registered (`loadExistingGrant` grants what was asked), and the
 * login prompt is Gatehouse's sign-in flow.
 */
function signInPolicy() {
  const policy = interactionPolicy.base();
  policy.get('consent')!.checks.remove('native_client_prompt');
  policy.get('login')!.checks.add(silentSignInCheck());
  return policy;
}

/**
 * prompt=none (OIDC Core 3.1.2.1) without the provider's own session: the provider knows only its
 * session and would answer login_required at once, while AD FS signs the user in silently from its
 * SSO session — which may come from a WS-Federation or SAML sign-in. So the request goes to the
 * interaction after all (prompt=none taken off the parameters it keeps), and the interaction,
 * seeing this reason, consults Gatehouse's SSO session without showing a page: a login when it is
 * usable, login_required otherwise. prompt=none with another value is the provider's invalid_request.
 */
function silentSignInCheck() {
  return new interactionPolicy.Check(SILENT_SIGN_IN, 'the sign-in step decides without a page', 'login_required', (ctx) => {
    const { params, session } = ctx.oidc;
    if (session?.accountId || params?.prompt !== 'none') return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    params.prompt = undefined;
    return interactionPolicy.Check.REQUEST_PROMPT;
  });
}

