import { randomUUID } from 'node:crypto';
import type { Domain, InternalDomainFederation } from '../tenant.js';
import { EntraError, invalidRequestParameter, wsFedMessageInvalid } from './errors.js';
import { logSignIn } from './log.js';
import type { PendingSignIn, PendingSignIns } from './pending.js';
import type { RuleContext } from './rules.js';
import { validateWsFedResult, type ValidatedSignIn } from './validate.js';

/** Entra's side of passive WS-Federation (ENTRA.md §2.1, §2.2, §2.10). */

export const WAUTH_PASSWORD = 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password';
export const WAUTH_MFA = 'http://schemas.microsoft.com/claims/multipleauthn';

/** ENTRA.md §2.1 (observed): Entra percent-encodes in lower case (`%3a`). */
function query(params: [string, string][]): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  return params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

/** A URL on the IdP, keeping any query the configured URL already has (e.g. `?domain=`, §3.6). */
export function idpUrl(base: string, params: [string, string][]): string {
  return `${base}${base.includes('?') ? '&' : '?'}${query(params)}`;
}

/**
 * ENTRA.md §2.1: the wsignin1.0 redirect. prompt=login is mapped by promptLoginBehavior (null acts
 * as translateToFreshPasswordAuthentication); an MFA-requiring sign-in on an enforceMfaByFederatedIdp
 * domain asks for multipleauthn, which then wins over the password wauth (one wauth only).
 */
export function signInRedirect(
  federation: InternalDomainFederation, wctx: string, opts: { username: string | null; promptLogin: boolean; mfaRequired: boolean },
): string {
  const params: [string, string][] = [
    ['client-request-id', randomUUID()],
    ['wa', 'wsignin1.0'],
    ['wtrealm', 'urn:federation:MicrosoftOnline'],
    ['wctx', wctx],
  ];
  if (opts.username) params.push(['username', opts.username]);
  let wauth: string | undefined;
  if (opts.promptLogin) {
    const behavior = federation.promptLoginBehavior ?? 'translateToFreshPasswordAuthentication';
    if (behavior === 'nativeSupport') params.push(['prompt', 'login']);
    else params.push(['wfresh', '0']);
    if (behavior === 'translateToFreshPasswordAuthentication') wauth = WAUTH_PASSWORD;
  }
  if (opts.mfaRequired && federation.federatedIdpMfaBehavior === 'enforceMfaByFederatedIdp') wauth = WAUTH_MFA;
  if (wauth) params.push(['wauth', wauth]);
  return idpUrl(federation.passiveSignInUri, params);
}

export type WsFedAnswer =
  | { kind: 'signed-in'; signIn: ValidatedSignIn }
  | { kind: 'redirect'; location: string }
  | { kind: 'error'; error: EntraError };

/**
 * ENTRA.md §2.2: the form POSTed to login.srf. wctx must be one this double issued, byte-exact
 * (unknown wctx → AADSTS90100 InvalidRequestParameter: Entra's code for it *(unconfirmed)*).
 */
export function finishWsFed(
  body: { wa?: string; wresult?: string; wctx?: string }, pending: PendingSignIns, ctx: RuleContext,
): WsFedAnswer {
  const fail = (error: EntraError): WsFedAnswer => {
    logSignIn({ tenantId: ctx.tenant.id, protocol: 'wsFed', result: 'failure', code: error.code, rule: error.rule });
    return { kind: 'error', error };
  };
  if (body.wa !== 'wsignin1.0' || !body.wresult) return fail(wsFedMessageInvalid('wsignin1.0 form'));
  const started = pending.take(body.wctx);
  if (!started || started.domain.federation?.preferredAuthenticationProtocol !== 'wsFed') return fail(invalidRequestParameter('wctx'));
  let signIn: ValidatedSignIn;
  try {
    signIn = validateWsFedResult(body.wresult, ctx, started.mfaRequired);
  } catch (e) {
    if (e instanceof EntraError) return fail(e);
    throw e;
  }
  const record = { tenantId: ctx.tenant.id, protocol: 'wsFed' as const, userId: signIn.user.id, upn: signIn.user.userPrincipalName, immutableId: signIn.immutableId, mfa: signIn.mfa };
  if (signIn.mfa === 'redirect-to-idp') {
    logSignIn({ ...record, result: 'mfa-redirect' });
    return { kind: 'redirect', location: mfaRedirect(signIn, started, pending) };
  }
  logSignIn({ ...record, result: 'success' });
  return { kind: 'signed-in', signIn };
}

/** ENTRA.md §5.1: enforceMfaByFederatedIdp without the MFA claim → back to the IdP for multipleauthn. */
function mfaRedirect(signIn: ValidatedSignIn, started: PendingSignIn, pending: PendingSignIns): string {
  const wctx = pending.issue({ domain: started.domain, username: signIn.user.userPrincipalName, mfaRequired: true });
  return signInRedirect(signIn.federation, wctx, { username: signIn.user.userPrincipalName, promptLogin: false, mfaRequired: true });
}

/** ENTRA.md §2.10: sign-out sends the browser to signOutUri with wa=wsignout1.0 (exact message *(unconfirmed)*). */
export function signOutRedirect(domain: Domain): string | undefined {
  const f = domain.federation;
  return f ? idpUrl(f.signOutUri, [['wa', 'wsignout1.0']]) : undefined;
}
