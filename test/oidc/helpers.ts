import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A relying party's redirect URI on loopback (RFC 8252 §7.3): records every request it gets and
 * answers a page naming it, so the browser stops there and the test reads the callback URL.
 */
export async function startCallbackServer(): Promise<{ url: string; hits: URL[]; close(): Promise<void> }> {
  const hits: URL[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(new URL(req.url ?? '/', `http://${req.headers.host}`));
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>rp</title><p id="rp">callback</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** openid-client's fetch, trusting the test server's certificate (and nothing else). */
export function trustingFetch(caPem: string): oidc.CustomFetch {
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return ((url: string, options: oidc.CustomFetchOptions) => undiciFetch(url, { ...options, dispatcher } as never)) as unknown as oidc.CustomFetch;
}

/** Discovery of the issuer as a relying party does it, with `clientAuth` and the test CA trusted. */
export async function discover(issuer: string, caPem: string, clientId: string, metadata?: Partial<oidc.ClientMetadata> | string, clientAuth?: oidc.ClientAuth): Promise<oidc.Configuration> {
  const config = await oidc.discovery(new URL(issuer), clientId, metadata, clientAuth, { [oidc.customFetch]: trustingFetch(caPem) } as oidc.DiscoveryRequestOptions);
  config[oidc.customFetch] = trustingFetch(caPem);
  // Verify the ID token's signature against the published keys too (openid-client skips it by default for a TLS-fetched token).
  oidc.enableNonRepudiationChecks(config);
  return config;
}

/** Types the user's password into Gatehouse's login page (the same page as WS-Fed and SAML). */
export async function signInOnPage(page: Page, upn: string, password: string): Promise<void> {
  await page.waitForSelector('#passwordInput');
  if ((await page.inputValue('#userNameInput')) === '') await page.fill('#userNameInput', upn);
  await page.fill('#passwordInput', password);
  await page.click('#submitButton');
}

/** The payload of a JWT, unverified: for reading what a token says after it was verified elsewhere. */
export function jwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
