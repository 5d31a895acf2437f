import { WS_NS } from '../../../xml/namespaces.js';
import { namespace, XmlWriter, type Namespace } from '../../../xml/writer.js';
import { samlTime, type Saml11Assertion } from '../../tokens/saml11-assertion.js';

/** One WS-Trust dialect: its namespace and the URIs that differ between them (ENTRA.md §6.2). */
export interface TrustVersion {
  readonly ns: Namespace;
  readonly requestType: string;
  readonly keyType: string;
}

/** WS-Trust February 2005, prefix `t` as AD FS writes it in `wresult` (ENTRA.md §2.3). */
export const TRUST_2005: TrustVersion = {
  ns: namespace('t', 'http://schemas.xmlsoap.org/ws/2005/02/trust'),
  requestType: 'http://schemas.xmlsoap.org/ws/2005/02/trust/Issue',
  keyType: 'http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey',
};

/** WS-Trust 1.3, prefix `trust` as AD FS writes it (ENTRA.md §6.2, §6.3). */
export const TRUST_13: TrustVersion = {
  ns: namespace('trust', 'http://docs.oasis-open.org/ws-sx/ws-trust/200512'),
  requestType: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue',
  keyType: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer',
};

/** Exactly this string: MSAL.NET treats anything else as saml2-bearer (ENTRA.md §6.3). */
export const SAML11_TOKEN_TYPE = 'urn:oasis:names:tc:SAML:1.0:assertion';

const WSU = namespace('wsu', WS_NS.wsu);
const WSP = namespace('wsp', WS_NS.wsp);
const WSA = namespace('wsa', WS_NS.wsa);
const WSSE = namespace('o', WS_NS.wsse);
const WSSE11 = namespace('k', WS_NS.wsse11);
const SAML_V11_TOKEN_PROFILE = 'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1';
const SAML_ASSERTION_ID = 'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID';

export interface RstrInput {
  /** The signed assertion; embedded byte for byte. */
  assertion: Saml11Assertion;
  /** AppliesTo address: the relying party's identifier, e.g. `urn:federation:MicrosoftOnline`. */
  appliesTo: string;
  version: TrustVersion;
  /** WS-Trust 1.3 answers wrap the RSTR in a Collection, or MSAL.NET finds no token (§6.3). */
  collection: boolean;
  /** AD FS's RequestedAttachedReference / RequestedUnattachedReference (WS-Trust only, §6.3). */
  references: boolean;
}

/**
 * Writes the RSTR into `w` (the WS-Trust SOAP body, or a document of its own for WS-Fed), children
 * in AD FS order: Lifetime, AppliesTo, RequestedSecurityToken, [references], TokenType,
 * RequestType, KeyType (ENTRA.md §2.3, §6.3). Not signed (§2.9).
 */
export function writeRstr(w: XmlWriter, input: RstrInput): void {
  const t = input.version.ns;
  if (input.collection) w.start(t, 'RequestSecurityTokenResponseCollection');
  w.start(t, 'RequestSecurityTokenResponse');
  // §2.3: Lifetime equals the assertion's Conditions.
  w.start(t, 'Lifetime')
    .leaf(WSU, 'Created', samlTime(input.assertion.notBefore))
    .leaf(WSU, 'Expires', samlTime(input.assertion.notOnOrAfter))
    .end();
  w.start(WSP, 'AppliesTo').start(WSA, 'EndpointReference').leaf(WSA, 'Address', input.appliesTo).end().end();
  w.start(t, 'RequestedSecurityToken').raw(input.assertion.signed).end();
  if (input.references) {
    writeAssertionReference(w, t, 'RequestedAttachedReference', input.assertion.assertionId);
    writeAssertionReference(w, t, 'RequestedUnattachedReference', input.assertion.assertionId);
  }
  w.leaf(t, 'TokenType', SAML11_TOKEN_TYPE);
  w.leaf(t, 'RequestType', input.version.requestType);
  w.leaf(t, 'KeyType', input.version.keyType);
  w.end();
  if (input.collection) w.end();
}

/** A SecurityTokenReference naming the assertion by its ID (WSS SAML token profile 1.1 §3.4.1). */
function writeAssertionReference(w: XmlWriter, t: Namespace, element: string, assertionId: string): void {
  w.start(t, element)
    .start(WSSE, 'SecurityTokenReference', {}, [{ ns: WSSE11, name: 'TokenType', value: SAML_V11_TOKEN_PROFILE }])
    .leaf(WSSE, 'KeyIdentifier', assertionId, { ValueType: SAML_ASSERTION_ID })
    .end()
    .end();
}

/** The `wresult` of a WS-Fed sign-in: the bare 2005/02 RSTR, no Collection (ENTRA.md §2.3). */
export function wsfedRstr(assertion: Saml11Assertion, appliesTo: string): string {
  const w = new XmlWriter();
  writeRstr(w, { assertion, appliesTo, version: TRUST_2005, collection: false, references: false });
  return w.finish().xml;
}
