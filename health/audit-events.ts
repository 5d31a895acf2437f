import type { AuditEvent, AuditOutcome } from '../store/types.js';

/**
 * The documented audit events (README "Audit log"): each type has an even event id for its success
 * and the next odd one for its failure, and names the AD FS event it corresponds to where one
 * exists (AD FS 2016+ auditing, with the AD FS 2012 R2 id after a slash), so SIEM rules written for
 * AD FS can be carried over. Ours are in the 8000s, apart from every AD FS id. Ids are stable: a
 * new type gets new ids, none is reused.
 */
export interface AuditEventKind {
  id: number;
  what: string;
  adfs?: { success?: string; failure?: string };
}

export const AUDIT_EVENTS: Readonly<Record<string, AuditEventKind>> = {
  signin: { id: 8000, what: 'a sign-in: password, certificate or SSO session; failure with its reason', adfs: { success: '1202', failure: '1203 / 411, 342' } },
  'token.issued': { id: 8010, what: 'a token issued to a relying party', adfs: { success: '1200 / 299', failure: '1201' } },
  lockout: { id: 8020, what: 'a sign-in refused by extranet lockout (signin events with an extranet-lockout reason)', adfs: { failure: '1210 / 516' } },
  'lockout.reset': { id: 8024, what: 'an account’s extranet lockout failure count reset by an operator (gatehouse lockout reset; AD FS Reset-AdfsAccountActivity)' },
  'lockout.familiar-added': { id: 8026, what: 'a familiar address added to an account by an operator (gatehouse lockout add-address; AD FS Set-AdfsAccountActivity)' },
  'lockout.familiar-forgotten': { id: 8028, what: 'an account’s familiar addresses forgotten (gatehouse lockout forget-addresses)' },
  signout: { id: 8030, what: 'a sign-out (wsignout1.0, wsignoutcleanup1.0)', adfs: { success: '1206', failure: '1207' } },
  'password.change': { id: 8040, what: 'a password change at /adfs/portal/updatepassword/', adfs: { success: '1204', failure: '1205' } },
  'request.rejected': { id: 8050, what: 'a request refused before any sign-in: malformed, CSRF, rate limit, unknown relying party, unregistered reply', adfs: { failure: '364 (passive), 111 (WS-Trust)' } },
  'mfa': { id: 8060, what: 'a second-factor decision: challenge begun, code or push approved, denied, timed out (hook fail-closed), enrolment; never the code' },
  'mfa.reset': { id: 8062, what: 'a user’s authenticator app removed by an operator (gatehouse mfa reset)' },
  'key.generated': { id: 8100, what: 'a certificate generated (automatic rollover or keys generate)' },
  'key.imported': { id: 8102, what: 'a certificate imported' },
  'key.promoted': { id: 8104, what: 'a certificate made active; the old one is previous' },
  'key.retired': { id: 8106, what: 'a certificate retired' },
  'key.rekeyed': { id: 8108, what: 'every private key sealed again under a new key-encryption key' },
  'key.promotion-waiting': { id: 8110, what: 'a due promotion waits (Entra does not know the certificate, or Graph failed)' },
  'key.entra-updated': { id: 8112, what: 'the certificates written to every federated domain in Entra' },
  'trust.added': { id: 8200, what: 'a relying-party trust added from metadata', adfs: { success: '307' } },
  'trust.replaced': { id: 8202, what: 'a trust from metadata replaced by the same entityID', adfs: { success: '307' } },
  'trust.removed': { id: 8204, what: 'a trust from metadata removed', adfs: { success: '307' } },
  'trust.refreshed': { id: 8206, what: 'a trust updated from its refreshed metadata', adfs: { success: '157' } },
  'trust.refresh-failed': { id: 8208, what: 'a metadata refresh failed; the trust was kept', adfs: { failure: '168 (retrieval), 166 (processing)' } },
  'federation.applied': { id: 8300, what: 'a domain’s federation settings written to Entra (federation apply / convert)' },
  'sync.run': { id: 8400, what: 'an AD → Entra sync run finished (success, partial, stopped, staged or failed)' },
  'oidc.token': { id: 8500, what: 'an OAuth / OpenID Connect token issued at /adfs/oauth2/token, or refused (PKCE mismatch, reused code, expired refresh token, wrong client secret)', adfs: { success: '1200', failure: '1201' } },
  'oidc.authorize': { id: 8502, what: 'an authorization request refused (unregistered redirect_uri, bad parameters)' },
  'oidc.userinfo': { id: 8504, what: 'a userinfo request refused' },
  'oidc.logout': { id: 8506, what: 'an RP-initiated logout refused' },
  'oidc.devicecode': { id: 8508, what: 'a device authorization request refused' },
  'oidc.deviceauth': { id: 8510, what: 'a device code entered on the verification page refused' },
  'oidc.keys': { id: 8512, what: 'a JWKS request failed' },
  'oidc.discovery': { id: 8514, what: 'a discovery request failed' },
  'oidc.request': { id: 8516, what: 'an OpenID Connect request the provider could not serve (server_error)' },
  'oidc.grant.revoked': { id: 8518, what: 'a grant revoked whole (a reused code or a replayed refresh token)' },
  'admin.refused': { id: 8600, what: 'a request to the admin listener without its bearer token or client certificate' },
};

// Reasons with which the extranet lockout refuses a sign-in (sts/signin/extranet-lockout.ts).
const LOCKOUT_REASONS = new Set(['extranet-lockout']);

/** The kind an event is documented under: a sign-in refused by the extranet lockout is a lockout event. */
export function kindOf(event: Pick<AuditEvent, 'type' | 'reason'>): { type: string; kind: AuditEventKind | undefined } {
  const type = event.type === 'signin' && event.reason !== undefined && LOCKOUT_REASONS.has(event.reason) ? 'lockout' : event.type;
  return { type, kind: AUDIT_EVENTS[type] };
}

/** The event id of an event (undefined for a type not in the catalogue). */
export function eventIdOf(event: Pick<AuditEvent, 'type' | 'outcome' | 'reason'>): number | undefined {
  const { kind } = kindOf(event);
  return kind && kind.id + (event.outcome === 'failure' ? 1 : 0);
}

/** What an `--event` option names: a catalogue type (either outcome), or an event id (that type with that id's outcome). */
export function eventNamed(event: string): { type: string; outcome?: AuditOutcome } {
  if (/^\d+$/.test(event)) {
    const id = Number(event);
    const found = Object.entries(AUDIT_EVENTS).find(([, k]) => k.id === id || k.id + 1 === id);
    if (!found) throw new Error(`no audit event has the id ${event} (README "Audit log")`);
    return { type: found[0], outcome: found[1].id === id ? 'success' : 'failure' };
  }
  if (!AUDIT_EVENTS[event]) throw new Error(`unknown audit event ${event}; one of ${Object.keys(AUDIT_EVENTS).join(', ')}`);
  return { type: event };
}

/** The stored types a catalogue type is found under (a lockout is a signin event with its reason). */
export function storedTypesOf(type: string): string[] {
  return [type === 'lockout' ? 'signin' : type];
}
