import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { IncomingMessage } from 'node:http';
import type { Audit } from '../../../health/audit.js';

/** The client's address as express computed it (server.trustedProxies decides whether X-Forwarded-For counts). */
export function clientIp(ctx: KoaContextWithOIDC): string {
  return (ctx.req as IncomingMessage & { ip?: string }).ip ?? ctx.req.socket.remoteAddress ?? '';
}

/** The part of a logger unexpected provider errors go to. */
interface ErrorLog {
  error(obj: object, msg?: string): void;
}

/** Provider events that mean a request was refused, and the audit type each becomes. */
const REFUSALS: Record<string, string> = {
  'authorization.error': 'oidc.authorize',
  'grant.error': 'oidc.token',
  'userinfo.error': 'oidc.userinfo',
  'end_session.error': 'oidc.logout',
  'device_authorization.error': 'oidc.devicecode',
  'code_verification.error': 'oidc.deviceauth',
  'jwks.error': 'oidc.keys',
  'discovery.error': 'oidc.discovery',
};

type OidcError = Error & { error?: string; error_description?: string; error_detail?: string; status?: number };

const clientOf = (ctx: KoaContextWithOIDC | undefined): string | undefined => {
  const id = ctx?.oidc?.client?.clientId ?? ctx?.oidc?.params?.client_id;
  return typeof id === 'string' ? id : undefined;
};

/**
 * Every token issued and every request refused is an audit event (health/audit.ts), as for the
 * other protocols: oidc-provider emits an event for each (its events list), with the koa context.
 * The error code is the protocol's (invalid_grant, invalid_client, invalid_redirect_uri…); its
 * description and detail (e.g. "PKCE verification failed") are the provider's own text, never a secret.
 */
export function auditProviderEvents(provider: Provider, audit: Audit, log: ErrorLog): void {
  for (const [event, type] of Object.entries(REFUSALS)) {
    // The event names are listed above; the typings know each name only with its own listener shape.
    (provider as unknown as { on(e: string, f: (ctx: KoaContextWithOIDC, err: OidcError) => void): void }).on(event, (ctx, err) => {
      void audit.record({
        type,
        outcome: 'failure',
        relyingParty: clientOf(ctx),
        clientIp: ctx ? clientIp(ctx) : undefined,
        reason: err.error ?? 'server_error',
        details: { ...(err.error_description ? { description: err.error_description } : {}), ...(err.error_detail ? { detail: err.error_detail } : {}), ...(typeof ctx?.oidc?.params?.grant_type === 'string' ? { grant_type: ctx.oidc.params.grant_type } : {}) },
      });
    });
  }
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const account = ctx.oidc.entities.Account?.accountId;
    void audit.record({
      type: 'oidc.token',
      outcome: 'success',
      relyingParty: clientOf(ctx),
      clientIp: clientIp(ctx),
      details: { grant_type: String(ctx.oidc.params?.grant_type ?? ''), ...(account ? { account } : {}) },
    });
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    void audit.record({ type: 'oidc.grant.revoked', outcome: 'success', relyingParty: clientOf(ctx), clientIp: ctx ? clientIp(ctx) : undefined, details: { grant: grantId } });
  });
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    log.error({ err, path: ctx?.path }, 'oidc: request failed');
    void audit.record({ type: 'oidc.request', outcome: 'failure', relyingParty: clientOf(ctx), clientIp: ctx ? clientIp(ctx) : undefined, reason: 'server_error' });
  });
}
