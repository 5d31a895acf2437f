import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';
import type { EntraDouble } from '../entra/server.js';
import type { SeededApp } from '../entra/tenant.js';
import { httpsRequest, msalNetworkClient, type HttpsResult } from '../entra/https-client.js';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/**
 * The msal-node options that make it talk to the double: the double's URL as authority, its host:port in
 * `knownAuthorities` (msal then skips instance discovery and reads
 * `<authority>/v2.0/.well-known/openid-configuration` from the double itself), and a `system.networkClient`
 * that trusts the double's CA (msal-node 7 sends through global fetch, which takes no CA option).
 */
export function msalConfig(double: EntraDouble, app: SeededApp, credential: 'secret' | 'certificate-sha256' | 'certificate-sha1'): Configuration {
  const cert = app.certificate;
  const credentials = credential === 'secret'
    ? { clientSecret: app.secret }
    : { clientCertificate: credential === 'certificate-sha256'
      ? { thumbprintSha256: cert.thumbprintSha256, privateKey: cert.privateKeyPem }
      : { thumbprint: cert.thumbprintSha1, privateKey: cert.privateKeyPem } };
  return {
    auth: { clientId: app.clientId, authority: `${double.url}/${double.tenant.id}`, knownAuthorities: [new URL(double.url).host], ...credentials },
    system: { networkClient: msalNetworkClient(double.caCertPem) },
  };
}

export async function tokenFor(double: EntraDouble, app: SeededApp, credential: Parameters<typeof msalConfig>[2] = 'secret'): Promise<string> {
  const cca = new ConfidentialClientApplication(msalConfig(double, app, credential));
  const result = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
  if (!result) throw new Error('msal returned no token');
  return result.accessToken;
}

export type Graph = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<HttpsResult>;

/** A Graph caller with an app holding `roles`, token from msal-node with a client secret. */
export async function graphAs(double: EntraDouble, roles: string[]): Promise<Graph> {
  const token = await tokenFor(double, await double.tenant.addApp({ roles }));
  return (method, path, body, headers = {}) => httpsRequest(path.startsWith('https://') ? path : `${double.url}/v1.0${path}`, {
    method, ca: double.caCertPem, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
  });
}

/** POST a form to the double's token endpoint directly, for the error cases msal-node would not send. */
export function postToken(double: EntraDouble, form: Record<string, string>, tenant = double.tenant.id): Promise<HttpsResult> {
  return httpsRequest(`${double.url}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST', ca: double.caCertPem, body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}
