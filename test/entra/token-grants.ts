import { randomUUID } from 'node:crypto';
import type { Tenant } from './tenant.js';

/** What a grant handler gets from the token endpoint. */
export interface TokenContext {
  tenant: Tenant;
  /** `https://<double>/<tenantId>/v2.0`, the `iss` of access tokens. */
  issuer: string;
  signAccessToken(claims: Record<string, unknown>, lifetimeSeconds?: number): string;
}

export type TokenResponse = { status: number; body: Record<string, unknown> };
export type GrantHandler = (form: URLSearchParams, ctx: TokenContext) => Promise<TokenResponse>;

const handlers = new Map<string, GrantHandler>();

/** Grants other than client_credentials plug in here (the sign-in half registers the SAML bearer grants, ENTRA.md §6.8). */
export function registerGrant(grantType: string, handler: GrantHandler): void {
  handlers.set(grantType, handler);
}

export function grantHandler(grantType: string): GrantHandler | undefined {
  return handlers.get(grantType);
}

/**
 * Entra's OAuth error body. Shape from Microsoft's "OAuth 2.0 client credentials flow" page (error
 * response example): error, error_description "AADSTS<code>: <text>\r\nTrace ID: …\r\nCorrelation ID:
 * …\r\nTimestamp: …", error_codes, timestamp, trace_id, correlation_id, error_uri.
 */
export function aadstsError(status: number, error: string, code: number, description: string): TokenResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}
