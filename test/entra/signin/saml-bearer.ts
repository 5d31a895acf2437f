import { createHash, randomBytes } from 'node:crypto';
import { aadstsError, registerGrant, type TokenContext, type TokenResponse } from '../token-grants.js';
import { EntraError, invalidSamlToken, unsupportedSamlType } from './errors.js';
import { logSignIn } from './log.js';
import { DEFAULT_CLOCK_SKEW_SECONDS } from './rules.js';
import { validateSaml11Assertion, validateSaml2Assertion, type ValidatedSignIn } from './validate.js';
import { NS, parseXml } from './xml.js';

/** The token endpoint's SAML bearer grants, which MSAL uses after WS-Trust (ENTRA.md §6.8). */

export const SAML11_BEARER = 'urn:ietf:params:oauth:grant-type:saml1_1-bearer';
export const SAML2_BEARER = 'urn:ietf:params:oauth:grant-type:saml2-bearer';
const OIDC_SCOPES = ['openid', 'profile', 'offline_access'];
const ACCESS_TOKEN_SECONDS = 3599;

/** ENTRA.md §6.8: MSAL Python sends base64url without padding, MSAL.NET / AADInternals standard base64. */
function decodeAssertion(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
}

/** ENTRA.md §6.3: a saml2-bearer grant must carry SAML 2.0; a SAML 1.1 assertion gets AADSTS7500514. */
function validate(grantType: string, xml: string, ctx: TokenContext): ValidatedSignIn {
  const root = parseXml(xml)?.documentElement;
  if (!root) throw invalidSamlToken('exactlyOneAssertion');
  const rules = { tenant: ctx.tenant, now: ctx.tenant.now(), skewSeconds: DEFAULT_CLOCK_SKEW_SECONDS };
  if (grantType === SAML2_BEARER) {
    if (root.namespaceURI !== NS.saml2) throw unsupportedSamlType();
    return validateSaml2Assertion(xml, rules);
  }
  return validateSaml11Assertion(xml, rules);
}

async function samlBearer(grantType: string, form: URLSearchParams, ctx: TokenContext): Promise<TokenResponse> {
  for (const name of ['client_id', 'assertion', 'scope']) {
    // Microsoft's error reference: AADSTS900144 "The request body must contain the following parameter".
    if (!form.get(name)) return aadstsError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
  }
  const clientId = form.get('client_id') ?? '';
  const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
  const protocol = grantType === SAML2_BEARER ? 'saml2-bearer' : 'saml1_1-bearer';
  let signIn: ValidatedSignIn;
  try {
    const xml = decodeAssertion(form.get('assertion') ?? '');
    if (xml === undefined) throw invalidSamlToken('exactlyOneAssertion');
    signIn = validate(grantType, xml, ctx);
  } catch (e) {
    if (!(e instanceof EntraError)) throw e;
    logSignIn({ tenantId: ctx.tenant.id, protocol, result: 'failure', code: e.code, rule: e.rule });
    return aadstsError(e.status, e.oauthError, e.number, e.text);
  }
  logSignIn({ tenantId: ctx.tenant.id, protocol, result: 'success', userId: signIn.user.id, upn: signIn.user.userPrincipalName, immutableId: signIn.immutableId });
  return { status: 200, body: tokenBody(signIn, clientId, scopes, form.get('client_info') === '1', ctx) };
}

/**
 * What MSAL reads (MSAL Python 1.21 oauth2cli/oidc.py and token_cache.py): an id_token whose iss is
 * the discovery issuer and aud the client_id (it checks both), with oid / tid / preferred_username;
 * client_info = base64url JSON {uid, utid} when asked with client_info=1.
 */
function tokenBody(s: ValidatedSignIn, clientId: string, scopes: string[], clientInfo: boolean, ctx: TokenContext): Record<string, unknown> {
  const tenantId = ctx.tenant.id;
  const resourceScopes = scopes.filter((x) => !OIDC_SCOPES.includes(x));
  const granted = resourceScopes.length ? resourceScopes : ['https://graph.microsoft.com/User.Read'];
  const amr = s.methods.some((m) => m.endsWith('/multipleauthn')) ? ['pwd', 'mfa'] : ['pwd'];
  const person = { oid: s.user.id, tid: tenantId, name: s.user.displayName, preferred_username: s.user.userPrincipalName };
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: granted.join(' '),
    expires_in: ACCESS_TOKEN_SECONDS,
    ext_expires_in: ACCESS_TOKEN_SECONDS,
    access_token: ctx.signAccessToken({
      ...person, aud: audienceOf(granted[0] ?? ''), iss: ctx.issuer,
      scp: granted.map((g) => g.split('/').pop()).join(' '), appid: clientId, upn: s.user.userPrincipalName, amr, ver: '2.0',
    }, ACCESS_TOKEN_SECONDS),
  };
  if (scopes.includes('openid')) {
    body.id_token = ctx.signAccessToken({
      ...person, aud: clientId, iss: ctx.issuer, ver: '2.0',
      // v2 `sub` is pairwise per app; a stable hash stands in for it.
      sub: createHash('sha256').update(`${s.user.id}|${clientId}`).digest('base64url'),
    }, 3600);
  }
  if (scopes.includes('offline_access')) body.refresh_token = randomBytes(48).toString('base64url');
  if (clientInfo) body.client_info = Buffer.from(JSON.stringify({ uid: s.user.id, utid: tenantId })).toString('base64url');
  return body;
}

/** The resource a scope belongs to: `https://graph.microsoft.com/User.Read` → `https://graph.microsoft.com`. */
function audienceOf(scope: string): string {
  const slash = scope.lastIndexOf('/');
  return slash > 'https://'.length ? scope.slice(0, slash) : scope;
}

/** Plugs both grants into the token endpoint; router.ts calls this once on import. */
export function registerSamlBearerGrants(): void {
  registerGrant(SAML11_BEARER, (form, ctx) => samlBearer(SAML11_BEARER, form, ctx));
  registerGrant(SAML2_BEARER, (form, ctx) => samlBearer(SAML2_BEARER, form, ctx));
}
