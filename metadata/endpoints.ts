import type { Config } from '../config/load.js';

/**
 * AD FS endpoint paths, at the root of the public origin as AD FS serves them (ARCHITECTURE.md
 * "Endpoints"): the one table routes, protocol adapters and published metadata all read.
 */
export const AdfsPath = {
  passive: '/adfs/ls/',
  /** AD FS's IdP-initiated sign-on page (also reached as idpinitiatedsignon.aspx). */
  idpInitiatedSignOn: '/adfs/ls/idpinitiatedsignon',
  federationMetadata: '/FederationMetadata/2007-06/FederationMetadata.xml',
  mex: '/adfs/services/trust/mex',
  usernameMixed13: '/adfs/services/trust/13/usernamemixed',
  usernameMixed2005: '/adfs/services/trust/2005/usernamemixed',
  changePassword: '/adfs/portal/updatepassword/',
  probe: '/adfs/probe',
  // OpenID Connect / OAuth 2.0, AD FS 2016+ (issuer https://{host}/adfs); the device code pair is AD FS 2019's.
  oidcDiscovery: '/adfs/.well-known/openid-configuration',
  oidcKeys: '/adfs/discovery/keys',
  oidcAuthorize: '/adfs/oauth2/authorize',
  oidcToken: '/adfs/oauth2/token',
  oidcUserinfo: '/adfs/userinfo',
  oidcLogout: '/adfs/oauth2/logout',
  oidcDeviceCode: '/adfs/oauth2/devicecode',
  oidcDeviceAuth: '/adfs/oauth2/deviceauth',
  /** Gatehouse's own: where an authorization request signs the user in (the provider's interaction). */
  oidcSignIn: '/adfs/oauth2/signin/',
} as const;

/** The OpenID Connect issuer's path: the provider's routes are below it. */
export const OIDC_ISSUER_PATH = '/adfs';

/** Absolute endpoint URLs as relying parties reach them (`server.publicUrl`). */
export type AdfsEndpoints = { readonly [K in keyof typeof AdfsPath]: string };

export function adfsEndpoints(config: Pick<Config, 'server'>): AdfsEndpoints {
  const origin = new URL(config.server.publicUrl).origin;
  const out = {} as Record<keyof typeof AdfsPath, string>;
  for (const key of Object.keys(AdfsPath) as (keyof typeof AdfsPath)[]) out[key] = origin + AdfsPath[key];
  return out;
}

/**
 * A WS-Trust username/password endpoint as MEX describes it: its path (MSAL Python infers the
 * version from the `/trust/13/` or `/trust/2005/` fragment, ENTRA.md §6.5) and the wsa:Action and
 * soapAction of its request (ENTRA.md §6.1, §6.6).
 */
export interface WsTrustEndpoint {
  readonly name: '13' | '2005';
  readonly path: string;
  readonly issueAction: string;
}

export const WSTRUST_13: WsTrustEndpoint = { name: '13', path: AdfsPath.usernameMixed13, issueAction: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue' };
export const WSTRUST_2005: WsTrustEndpoint = { name: '2005', path: AdfsPath.usernameMixed2005, issueAction: 'http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue' };

/** Both served; MEX lists them in this order (1.3 first, as AD FS does). */
export const WSTRUST_ENDPOINTS: readonly WsTrustEndpoint[] = [WSTRUST_13, WSTRUST_2005];
