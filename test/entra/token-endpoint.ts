import express, { type Router } from 'express';
import type { Tenant } from './tenant.js';
import { aadstsError, grantHandler, type TokenContext, type TokenResponse } from './token-grants.js';
import { authenticateClient } from './client-auth.js';

/** The only resource this double serves; Graph takes tokens whose aud is this (ENTRA.md §8.1). */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const ACCESS_TOKEN_SECONDS = 3599;

export interface TokenEndpointOptions {
  tenant: Tenant;
  baseUrl: () => string;
  signAccessToken: TokenContext['signAccessToken'];
  jwks: () => Record<string, unknown>;
}

type TenantMatch = 'tenant' | 'multi' | { error: TokenResponse };

/** `/{tenant}/oauth2/v2.0/token`, plus the discovery documents msal-node reads before it (ENTRA.md §8.1, §6.8). */
export function tokenRouter(opts: TokenEndpointOptions): Router {
  const router = express.Router();
  const { tenant } = opts;
  const issuer = () => `${opts.baseUrl()}/${tenant.id}/v2.0`;

  router.get('/:tenant/v2.0/.well-known/openid-configuration', (req, res) => {
    const match = matchTenant(tenant, req.params.tenant);
    if (typeof match === 'object') return void res.status(match.error.status).json(match.error.body);
    const base = `${opts.baseUrl()}/${req.params.tenant}`;
    res.json({
      issuer: issuer(),
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${opts.baseUrl()}/${tenant.id}/discovery/v2.0/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      cloud_instance_name: 'microsoftonline.com',
    });
  });

  router.get('/:tenant/discovery/v2.0/keys', (_req, res) => void res.json(opts.jwks()));

  router.post('/:tenant/oauth2/v2.0/token', express.urlencoded({ extended: false, limit: '1mb' }), async (req, res) => {
    const form = new URLSearchParams(Object.entries((req.body ?? {}) as Record<string, string>));
    const tenantParam = req.params.tenant;
    const ctx: TokenContext = { tenant, issuer: issuer(), signAccessToken: opts.signAccessToken };
    const answer = await token(form, tenantParam, ctx, opts.baseUrl());
    res.status(answer.status).set('Cache-Control', 'no-store').json(answer.body);
  });
  return router;
}

async function token(form: URLSearchParams, tenantParam: string, ctx: TokenContext, baseUrl: string): Promise<TokenResponse> {
  const match = matchTenant(ctx.tenant, tenantParam);
  if (typeof match === 'object') return match.error;
  const grantType = form.get('grant_type');
  if (grantType === null) return missing('grant_type');
  if (grantType !== 'client_credentials') {
    const handler = grantHandler(grantType);
    return handler ? handler(form, ctx) : aadstsError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }
  // AADSTS reference: 9001023 "The grant type isn't supported over the /common or /consumers endpoints".
  // For /organizations Microsoft documents no code; 50059 (no tenant-identifying information) *(unconfirmed)*.
  if (match === 'multi') {
    return tenantParam === 'organizations'
      ? aadstsError(400, 'invalid_request', 50059, 'No tenant-identifying information found in either the request or implied by any provided credentials.')
      : aadstsError(400, 'invalid_request', 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.");
  }
  return clientCredentials(form, ctx, baseUrl);
}

async function clientCredentials(form: URLSearchParams, ctx: TokenContext, baseUrl: string): Promise<TokenResponse> {
  const clientId = form.get('client_id');
  if (clientId === null) return missing('client_id');
  const scope = form.get('scope');
  if (scope === null) return missing('scope');
  const app = ctx.tenant.apps.get(clientId);
  if (!app) {
    return aadstsError(400, 'unauthorized_client', 700016,
      `Application with identifier '${clientId}' was not found in the directory '${ctx.tenant.initialDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }
  const scopeError = checkScope(scope);
  if (scopeError) return scopeError;
  // The assertion's aud is the token endpoint as the client addressed it: by tenant id or by a domain name.
  const audiences = new Set([ctx.tenant.id, ...ctx.tenant.domains.keys()].map((t) => `${baseUrl}/${t}/oauth2/v2.0/token`));
  const authError = authenticateClient(form, app, audiences);
  if (authError) return authError;
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    aud: GRAPH_RESOURCE, iss: ctx.issuer, iat: now, nbf: now, exp: now + ACCESS_TOKEN_SECONDS,
    appid: app.appId, azp: app.appId, oid: app.appId, sub: app.appId, tid: ctx.tenant.id, idtyp: 'app', ver: '2.0',
  };
  if (app.roles.length > 0) claims.roles = [...app.roles];
  return {
    status: 200,
    body: { token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS, ext_expires_in: ACCESS_TOKEN_SECONDS, access_token: ctx.signAccessToken(claims, ACCESS_TOKEN_SECONDS) },
  };
}

/** Client credentials take exactly one `<resource>/.default` scope (Microsoft "client credentials flow"). */
function checkScope(scope: string): TokenResponse | undefined {
  const scopes = scope.split(' ').filter(Boolean);
  const [only] = scopes;
  if (scopes.length !== 1 || only === undefined || !only.endsWith('/.default')) {
    return aadstsError(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`);
  }
  const resource = only.slice(0, -'/.default'.length);
  if (resource !== GRAPH_RESOURCE && resource !== `${GRAPH_RESOURCE}/`) {
    return aadstsError(400, 'invalid_resource', 500011,
      `The resource principal named ${resource} was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
  }
  return undefined;
}

function missing(name: string): TokenResponse {
  return aadstsError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
}

/** A tenant id, one of the tenant's domain names, or a multi-tenant alias; else AADSTS90002 / 900023. */
function matchTenant(tenant: Tenant, value: string): TenantMatch {
  const v = value.toLowerCase();
  if (v === tenant.id.toLowerCase() || tenant.domains.has(v)) return 'tenant';
  if (v === 'common' || v === 'organizations' || v === 'consumers') return 'multi';
  const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v);
  const dns = /^(?=.{1,253}$)([a-z0-9-]+\.)+[a-z]{2,}$/.test(v);
  if (guid || dns) {
    return { error: aadstsError(400, 'invalid_request', 90002, `Tenant '${value}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`) };
  }
  return { error: aadstsError(400, 'invalid_request', 900023, `Specified tenant identifier '${value}' is neither a valid DNS name, nor a valid external domain.`) };
}
