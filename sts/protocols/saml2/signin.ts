import { randomUUID } from 'node:crypto';
import type { SealedValues } from '../../../keys/sealing.js';
import { AdfsPath } from '../../../metadata/endpoints.js';
import type { CounterStore } from '../../../store/types.js';
import { AuthMethod, type Authentication, type SignInRequest } from '../../signin/types.js';
import { NAME_ID_FORMAT, nameIdFormatName, type NameIdFormatName } from '../../tokens/claims-to-saml2.js';
import type { IssuedNameId, Saml2Tokens } from '../../tokens/saml2-tokens.js';
import { StatusCode, type SamlStatus } from '../../tokens/saml2-protocol.js';
import { ENTRA_IDENTIFIER, type RelyingPartyTrust, type SamlEndpoint, type SamlTrustSettings, type TrustRegistry } from '../../trusts/trust.js';
import { BadRequest, InvalidReply, NoSuchTrust, ProtocolError, RequestDenied } from '../errors.js';
import { readAuthnRequest, type AuthnRequestMessage } from './messages.js';
import { checkDestination, checkFresh, type TrustedMessage } from './trusted-message.js';

export const POST_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** What a sign-in must remember across the login form: sealed into the form's URL, never the raw request. */
interface SamlSignInState {
  trust: string;
  requestId?: string | undefined;
  acsUrl: string;
  relayState?: string | undefined;
  nameIdFormat: NameIdFormatName;
  passive: boolean;
  fresh: boolean;
  requestedMethods: string[];
  /** Until when the login form may resume this sign-in (ms since epoch). */
  exp: number;
}

/** An AuthnRequest (or loginToRp=) read and checked, ready for the sign-in flow. */
export interface Saml2SignIn {
  trust: RelyingPartyTrust;
  saml: SamlTrustSettings;
  state: SamlSignInState;
  request: SignInRequest;
  resumeUrl: string;
}

/** Where the Response goes and what it says: the auto-posted form (Bindings §3.5). */
export interface SamlFormPost {
  action: string;
  fields: Record<string, string | undefined>;
}

/** A refusal the SP gets as a SAML status at its ACS, once the request is trustworthy enough to answer (Core §3.2.2.2). */
export class SamlStatusError extends ProtocolError {
  constructor(
    readonly samlStatus: SamlStatus,
    reason: string,
    /** The checked request it answers. */
    readonly answerTo: Pick<Saml2SignIn, 'trust' | 'state'>,
  ) {
    super(403, reason, 'Sign-in refused', 'The application’s sign-in request cannot be met.');
  }
}

/** A check's refusal before it knows what it answers; beginSaml2SignIn turns it into a SamlStatusError. */
class Refusal {
  constructor(
    readonly status: SamlStatus,
    readonly reason: string,
  ) {}
}

/** The login form may resume a sign-in for as long as the login page's CSRF token lives. */
const RESUME_LIFETIME_MS = 30 * 60_000;

/**
 * An AuthnRequest's first steps, as a list (STYLE.md): a trusted message (parse, trust,
 * signature), the replay cache, Destination, the ACS, NameIDPolicy and RequestedAuthnContext, then
 * the neutral SignInRequest.
 */
export async function beginSaml2SignIn(
  deps: { counters: CounterStore; sealed: SealedValues; endpoint: string },
  trusted: TrustedMessage,
  relayState: string | undefined,
  clientIp: string,
): Promise<Saml2SignIn> {
  const request = readAuthnRequest(trusted.root);
  checkDestination(request.destination, trusted.signed, deps.endpoint);
  await checkFresh(deps.counters, request);
  const acsUrl = chooseAcs(trusted.saml, request);
  const state: SamlSignInState = {
    trust: trusted.trust.identifier,
    requestId: request.id,
    acsUrl,
    relayState,
    nameIdFormat: trusted.saml.nameIdFormat,
    passive: request.isPassive,
    fresh: request.forceAuthn,
    requestedMethods: [],
    exp: Date.now() + RESUME_LIFETIME_MS,
  };
  // From here the request is trustworthy and its ACS registered: refusals go back to the SP as a status.
  try {
    state.nameIdFormat = chooseNameIdFormat(trusted.trust, trusted.saml, request.nameIdFormat);
    state.requestedMethods = requestedMethods(request.requestedAuthnContext);
  } catch (err) {
    if (err instanceof Refusal) throw new SamlStatusError(err.status, err.reason, { trust: trusted.trust, state });
    throw err;
  }
  return resumed(trusted.trust, trusted.saml, state, deps.sealed, clientIp);
}

/** IdP-initiated sign-on (AD FS loginToRp=): a trust that allows it, its default ACS, no InResponseTo. */
export function beginIdpInitiated(deps: { trusts: TrustRegistry; sealed: SealedValues }, loginToRp: string, relayState: string | undefined, clientIp: string): Saml2SignIn {
  const trust = deps.trusts.find(loginToRp);
  if (!trust?.saml) throw new NoSuchTrust(loginToRp);
  if (!trust.saml.allowIdpInitiated) throw new RequestDenied('idp-initiated-not-allowed', 'This application does not accept sign-ins started here.');
  if (relayState !== undefined && relayState.length > 1024) throw new BadRequest('relay-state', 'The RelayState is not acceptable.');
  const state: SamlSignInState = {
    trust: trust.identifier,
    acsUrl: defaultAcs(trust.saml).location,
    relayState,
    nameIdFormat: trust.saml.nameIdFormat,
    passive: false,
    fresh: false,
    requestedMethods: [],
    exp: Date.now() + RESUME_LIFETIME_MS,
  };
  return resumed(trust, trust.saml, state, deps.sealed, clientIp);
}

/** The sign-in the login form posts back (SAMLState=…), its state unsealed: nothing in it is re-read from the network. */
export function resumeSaml2SignIn(deps: { trusts: TrustRegistry; sealed: SealedValues }, sealedState: string, clientIp: string): Saml2SignIn {
  const state = deps.sealed.open<SamlSignInState>(sealedState);
  if (!state || typeof state.exp !== 'number' || state.exp < Date.now()) throw new BadRequest('saml-state-expired', 'The sign-in took too long. Go back to the application and start again.');
  const trust = deps.trusts.find(state.trust);
  if (!trust?.saml) throw new NoSuchTrust(state.trust);
  // The same sealed state as came in, not a fresh seal of it: the resume URL names this sign-in
  // across pages, and the certificate hop's result is bound to it (sts/http/certificate-hop.ts).
  return resumed(trust, trust.saml, state, deps.sealed, clientIp, sealedState);
}

function resumed(trust: RelyingPartyTrust, saml: SamlTrustSettings, state: SamlSignInState, sealed: SealedValues, clientIp: string, sealedState = sealed.seal(state)): Saml2SignIn {
  return {
    trust,
    saml,
    state,
    request: {
      trust,
      protocol: 'saml2',
      returnTo: state.acsUrl,
      fresh: state.fresh,
      requestedMethods: state.requestedMethods,
      clientIp,
    },
    resumeUrl: `${AdfsPath.passive}?${new URLSearchParams({ SAMLState: sealedState })}`,
  };
}

/** The last steps: the Response for the signed-in user, posted to the ACS with RelayState as it came (Bindings §3.5.3). */
export async function completeSaml2SignIn(tokens: Saml2Tokens, begun: Saml2SignIn, auth: Authentication): Promise<{ post: SamlFormPost; nameId: IssuedNameId; sessionIndex: string; issuer: string }> {
  const sessionIndex = `_${randomUUID()}`;
  const { xml, nameId } = await tokens.response(begun.trust, begun.saml, auth, {
    acsUrl: begun.state.acsUrl,
    inResponseTo: begun.state.requestId,
    nameIdFormat: begun.state.nameIdFormat,
    sessionIndex,
  });
  const issuer = tokens.issuerFor(begun.trust, auth);
  return { post: samlPost(begun.state.acsUrl, xml.xml, begun.state.relayState, 'SAMLResponse'), nameId, sessionIndex, issuer };
}

/** A refusal as a status Response to the ACS (NoPassive, RequestDenied, NoAuthnContext…). */
export async function statusAnswer(tokens: Saml2Tokens, begun: Pick<Saml2SignIn, 'trust' | 'state'>, status: SamlStatus): Promise<SamlFormPost> {
  const xml = await tokens.statusResponse(begun.trust, { acsUrl: begun.state.acsUrl, inResponseTo: begun.state.requestId, status });
  return samlPost(begun.state.acsUrl, xml.xml, begun.state.relayState, 'SAMLResponse');
}

export function samlPost(action: string, xml: string, relayState: string | undefined, field: 'SAMLRequest' | 'SAMLResponse'): SamlFormPost {
  return { action, fields: { [field]: Buffer.from(xml, 'utf8').toString('base64'), RelayState: relayState } };
}

function defaultAcs(saml: SamlTrustSettings): SamlEndpoint {
  const post = saml.assertionConsumerServices.filter((e) => e.binding === 'post');
  const acs = post.find((e) => e.isDefault) ?? post[0];
  if (!acs) throw new InvalidReply('(no HTTP-POST AssertionConsumerService)');
  return acs;
}

/**
 * SAML Core §3.4.1 / Metadata §2.4.4: the ACS named by URL or by index must be one registered for
 * the trust (exact URL, no prefix matching); none named is the default. Responses go over HTTP-POST
 * only, so a request asking for another ProtocolBinding is refused.
 */
function chooseAcs(saml: SamlTrustSettings, request: AuthnRequestMessage): string {
  if (request.protocolBinding !== undefined && request.protocolBinding !== POST_BINDING) throw new InvalidReply(`ProtocolBinding ${request.protocolBinding}`);
  if (request.acsUrl !== undefined && request.acsIndex !== undefined) throw new BadRequest('saml-acs', 'The request names its AssertionConsumerService twice.');
  const post = saml.assertionConsumerServices.filter((e) => e.binding === 'post');
  if (request.acsUrl !== undefined) {
    const acs = post.find((e) => e.location === request.acsUrl);
    if (!acs) throw new InvalidReply(request.acsUrl);
    return acs.location;
  }
  if (request.acsIndex !== undefined) {
    const acs = post.find((e) => e.index === request.acsIndex);
    if (!acs) throw new InvalidReply(`AssertionConsumerServiceIndex ${request.acsIndex}`);
    return acs.location;
  }
  return defaultAcs(saml).location;
}

/**
 * NameIDPolicy (Core §3.4.1.1): unspecified or absent leaves the trust's format; one of the four
 * we issue wins; anything else is InvalidNameIDPolicy. Entra accepts persistent only (ENTRA.md §3.2).
 */
function chooseNameIdFormat(trust: RelyingPartyTrust, saml: SamlTrustSettings, requested: string | undefined): NameIdFormatName {
  if (requested === undefined || requested === NAME_ID_FORMAT.unspecified) return saml.nameIdFormat;
  const name = nameIdFormatName(requested);
  if (!name || (trust.identifier === ENTRA_IDENTIFIER && name !== 'persistent')) {
    throw new Refusal({ code: StatusCode.requester, subCode: StatusCode.invalidNameIdPolicy }, 'saml-nameid-policy');
  }
  return name;
}

/** SAML 2.0 AuthnContext classes (saml-authn-context §3.4) and the method URIs the pipeline knows them by. */
const PASSWORD_CLASSES = new Set<string>([
  AuthMethod.passwordProtectedTransport,
  'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
]);
const TLS_CLASSES = new Set<string>(['urn:oasis:names:tc:SAML:2.0:ac:classes:X509', 'urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient', 'urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard', 'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI']);

/**
 * RequestedAuthnContext (Core §3.3.2.2.1) as the pipeline's requested methods. `exact`/`minimum`:
 * any one listed class will do, so the weakest we can perform is asked for (a password class, else
 * a certificate, else MFA); `better`: above the listed, i.e. MFA when a password class is listed.
 * A list naming nothing we perform is NoAuthnContext, a status the SP can act on.
 */
function requestedMethods(context: AuthnRequestMessage['requestedAuthnContext']): string[] {
  if (!context) return [];
  const refs = context.classRefs;
  if (context.comparison === 'better') {
    if (refs.some((r) => PASSWORD_CLASSES.has(r) || TLS_CLASSES.has(r))) return [AuthMethod.multipleAuthn];
    throw new Refusal({ code: StatusCode.requester, subCode: StatusCode.noAuthnContext }, 'saml-authn-context');
  }
  const password = refs.find((r) => PASSWORD_CLASSES.has(r));
  if (password) return [AuthMethod.passwordProtectedTransport];
  if (refs.some((r) => TLS_CLASSES.has(r))) return [AuthMethod.tlsClient];
  if (refs.includes(AuthMethod.multipleAuthn)) return [AuthMethod.multipleAuthn];
  throw new Refusal({ code: StatusCode.requester, subCode: StatusCode.noAuthnContext }, 'saml-authn-context');
}
