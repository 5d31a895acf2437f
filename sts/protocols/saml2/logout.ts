import { randomUUID } from 'node:crypto';
import type { SessionParty } from '../../signin/session.js';
import type { Saml2Tokens } from '../../tokens/saml2-tokens.js';
import { StatusCode } from '../../tokens/saml2-protocol.js';
import type { RelyingPartyTrust, SamlEndpoint, TrustRegistry } from '../../trusts/trust.js';
import { BadRequest } from '../errors.js';
import { redirectUrl, type BoundMessage, type OutgoingMessage } from './binding.js';
import { readLogoutRequest, readLogoutResponse, type LogoutRequestMessage } from './messages.js';
import { checkDestination, checkFresh, trustedMessage, type TrustedMessage } from './trusted-message.js';
import type { CounterStore } from '../../../store/types.js';

/**
 * A single logout in progress (SAML Profiles §4.4, front channel): who asked, which SAML
 * participants are still to be visited one after the other, who failed, and the WS-Fed parties'
 * cleanup URLs to load on the last page. Kept sealed in the browser between hops.
 */
export interface LogoutRun {
  origin: { kind: 'saml'; trust: string; requestId: string; relayState?: string | undefined; issuer: string } | { kind: 'page'; back?: string | undefined; then?: LogoutThen | undefined };
  pending: SessionParty[];
  current?: { trust: string; requestId: string } | undefined;
  failed: string[];
  cleanups: string[];
  exp: number;
}

/**
 * A sign-out another protocol began that goes on after the participants (OpenID Connect
 * RP-initiated logout: its confirmation, posted to the provider, which then redirects to the
 * client's post_logout_redirect_uri). `formTargets`: the origins that post may lead to (CSP form-action).
 */
export interface LogoutThen {
  action: string;
  fields: Record<string, string>;
  formTargets: string[];
}

/** How long a participant may take to answer its LogoutRequest before the run is given up. */
const RUN_LIFETIME_MS = 10 * 60_000;

/** The run for an ended session: SAML participants in sign-in order, except the one that asked. */
export function startLogout(parties: SessionParty[], origin: LogoutRun['origin'], cleanups: URL[]): LogoutRun {
  const asker = origin.kind === 'saml' ? origin.trust.toLowerCase() : undefined;
  return {
    origin,
    pending: parties.filter((p) => p.saml && p.identifier.toLowerCase() !== asker),
    failed: [],
    cleanups: cleanups.map((u) => u.href),
    exp: Date.now() + RUN_LIFETIME_MS,
  };
}

/** An SP's SLO endpoint: the POST one when it has both (the signature travels inside the message). */
function sloEndpoint(trust: RelyingPartyTrust | undefined): SamlEndpoint | undefined {
  const slo = trust?.saml?.singleLogoutServices ?? [];
  return slo.find((e) => e.binding === 'post') ?? slo[0];
}

export async function outgoing(tokens: Saml2Tokens, trust: RelyingPartyTrust, endpoint: SamlEndpoint, kind: BoundMessage['kind'], build: (enveloped: boolean) => Promise<{ xml: string }>, relayState: string | undefined): Promise<OutgoingMessage> {
  if (endpoint.binding === 'post') {
    const xml = (await build(true)).xml;
    return { binding: 'post', action: endpoint.location, fields: { [kind]: Buffer.from(xml, 'utf8').toString('base64'), RelayState: relayState } };
  }
  return { binding: 'redirect', url: await redirectUrl(endpoint.location, kind, (await build(false)).xml, relayState, tokens.redirectSigner(trust)) };
}

/**
 * The next hop: a LogoutRequest to the next participant that has an SLO endpoint (one without
 * cannot be told, so the logout is partial), or undefined when every participant has been visited.
 */
export async function nextLogoutRequest(deps: { trusts: TrustRegistry; tokens: Saml2Tokens }, run: LogoutRun): Promise<OutgoingMessage | undefined> {
  for (let party = run.pending.shift(); party; party = run.pending.shift()) {
    const trust = deps.trusts.find(party.identifier);
    const endpoint = sloEndpoint(trust);
    if (!trust || !endpoint || !party.saml) {
      run.failed.push(party.identifier);
      continue;
    }
    const p = party.saml;
    const requestId = `_${randomUUID()}`;
    run.current = { trust: trust.identifier, requestId };
    return outgoing(deps.tokens, trust, endpoint, 'SAMLRequest', (enveloped) => deps.tokens.logoutRequest(trust, {
      id: requestId,
      destination: endpoint.location,
      issuer: p.issuer,
      nameId: { value: p.nameId, format: p.nameIdFormat },
      sessionIndex: p.sessionIndex,
    }, enveloped), undefined);
  }
  run.current = undefined;
  return undefined;
}

/** A participant's LogoutResponse (Core §3.7.2): it must answer the request we sent it; anything but Success is a failure. */
export function acceptLogoutResponse(trusts: TrustRegistry, run: LogoutRun, msg: BoundMessage, endpoint: string): void {
  const trusted = trustedMessage(trusts, msg, ['LogoutResponse']);
  const response = readLogoutResponse(trusted.root);
  checkDestination(response.destination, trusted.signed, endpoint);
  const current = run.current;
  if (!current || response.inResponseTo !== current.requestId || trusted.trust.identifier !== current.trust) {
    throw new BadRequest('saml-unexpected-logout-response', 'This sign-out answer does not belong to a sign-out in progress.');
  }
  if (response.statusCode !== StatusCode.success) run.failed.push(current.trust);
  run.current = undefined;
}

/** An SP's LogoutRequest, checked as an AuthnRequest is (signature, Destination, replay cache). */
export async function readSpLogoutRequest(deps: { counters: CounterStore; endpoint: string }, trusted: TrustedMessage): Promise<{ trust: RelyingPartyTrust; request: LogoutRequestMessage }> {
  const request = readLogoutRequest(trusted.root);
  checkDestination(request.destination, trusted.signed, deps.endpoint);
  await checkFresh(deps.counters, request);
  return { trust: trusted.trust, request };
}

/**
 * The answer to the SP that asked (Core §3.7.3.2): Success, with the second-level PartialLogout
 * when a participant could not be logged out. Undefined when the party has no SLO endpoint.
 */
export async function finalLogoutResponse(deps: { trusts: TrustRegistry; tokens: Saml2Tokens }, run: LogoutRun): Promise<OutgoingMessage | undefined> {
  if (run.origin.kind !== 'saml') return undefined;
  const origin = run.origin;
  const trust = deps.trusts.find(origin.trust);
  const slo = sloEndpoint(trust);
  if (!trust || !slo) return undefined;
  const status = { code: StatusCode.success, ...(run.failed.length > 0 ? { subCode: StatusCode.partialLogout } : {}) };
  // Metadata §2.2.2: a response goes to ResponseLocation when the endpoint has one, and is addressed (Destination) to it.
  const location = slo.responseLocation ?? slo.location;
  const endpoint = { ...slo, location };
  return outgoing(deps.tokens, trust, endpoint, 'SAMLResponse', (enveloped) => deps.tokens.logoutResponse(trust, { destination: location, issuer: origin.issuer, inResponseTo: origin.requestId, status }, enveloped), origin.relayState);
}
