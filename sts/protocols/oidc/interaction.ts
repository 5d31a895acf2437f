import type { InteractionResults } from 'oidc-provider';
import type { Authentication, SignInRequest } from '../../signin/types.js';
import { clientTrust, type OidcClient } from './clients.js';
import { amrOf } from './jwt-claims.js';

/** What of an interaction the sign-in needs: the authorization request's parameters and why the provider asks. */
export interface InteractionFacts {
  params: Record<string, unknown>;
  prompt: { name: string; reasons: string[] };
}

/** The login prompt's reason for a prompt=none request the sign-in step answers without a page (provider.ts silentSignInCheck). */
export const SILENT_SIGN_IN = 'gatehouse_sso_session';

/** Whether the interaction must not show a page: prompt=none, answered from the SSO session or with login_required. */
export const isSilent = (facts: InteractionFacts): boolean => facts.prompt.reasons.includes(SILENT_SIGN_IN);

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The authorization request in the neutral terms of the sign-in flow (sts/signin/types.ts):
 * prompt=login or max_age=0 want a fresh credential (OIDC Core 3.1.2.1), max_age bounds the age
 * of the SSO session's first factor, login_hint fills the user name, acr_values are the methods
 * asked for (AD FS takes its authentication method URIs there, e.g. multipleauthn).
 */
export function signInRequestFor(facts: InteractionFacts, client: OidcClient, clientIp: string, tokenLifetimeMinutes: number): SignInRequest {
  const p = facts.params;
  const prompts = new Set((text(p.prompt) ?? '').split(' '));
  const maxAge = /^\d+$/.test(String(p.max_age ?? '')) ? Number(p.max_age) : undefined;
  return {
    trust: clientTrust(client, tokenLifetimeMinutes),
    protocol: 'oidc',
    returnTo: text(p.redirect_uri) ?? '',
    fresh: prompts.has('login') || maxAge === 0 || facts.prompt.reasons.includes('login_prompt'),
    maxAgeMinutes: maxAge !== undefined && maxAge > 0 ? maxAge / 60 : undefined,
    requestedMethods: (text(p.acr_values) ?? '').split(' ').filter(Boolean),
    loginHint: text(p.login_hint)?.slice(0, 256),
    clientIp,
    ...(text(p.redirect_uri) ? { redirectsTo: text(p.redirect_uri) } : {}),
  };
}

/** The interaction's result: who (the objectGUID is the account id), how (amr, RFC 8176) and when. */
export function loginResult(auth: Authentication): InteractionResults {
  return {
    login: {
      accountId: auth.user.objectGuid,
      amr: amrOf(auth.methods, auth.mfaInstant !== undefined),
      ts: Math.floor(auth.instant.getTime() / 1000),
      // Keep-me-signed-in makes the provider's session cookie persistent, as Gatehouse's own.
      remember: auth.persistent,
    },
  };
}
