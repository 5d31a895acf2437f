import type { Element } from '@xmldom/xmldom';
import type { Domain, InternalDomainFederation, Tenant, User } from '../tenant.js';
import {
  invalidAssertion, invalidRealm, invalidSamlToken, invalidSignature, missingImmutableId,
  userDisabled, userNotInDirectory, wsFedMessageInvalid,
} from './errors.js';
import { NS, descendants, elementChildren, firstChild, parseXml, signedContent, textOf } from './xml.js';

/**
 * Every check Entra makes on a federated sign-in token, one small function each, in Entra's order
 * (ENTRA.md §2.11: Issuer → federated domain → signature → user; the order of the rest is not
 * documented). Each throws the EntraError Entra answers with. validate.ts strings them together
 * for WS-Fed / SAML 1.1, SAML 2.0 and the SAML bearer grants.
 *
 *  1. rstrShape                        §2.3   AADSTS20012
 *  2. exactlyOneAssertion              §2.3 §3.2  AADSTS50008
 *  3. issuerNamesFederatedDomain       §2.11 §2.4 AADSTS50107
 *  4. signatureShape                   §2.8 §3.4  AADSTS50006
 *  5. signatureByDomainCertificate     §1.4 §2.8  AADSTS50006
 *  6. saml11AssertionShape             §2.4   AADSTS50008
 *  7. audienceIsMicrosoftOnline        §2.5 §3.2  AADSTS50008 (code unconfirmed)
 *  8. withinTimeWindow                 §2.5   AADSTS50013 (code and skew unconfirmed)
 *  9. immutableIdPresent               §2.6   AADSTS90020
 * 10. nameIdentifierMatchesImmutableId §2.6   AADSTS50008 (code unconfirmed)
 * 11. immutableIdNamesUser             §7.2   AADSTS51004
 * 12. userEnabled                      §7.2   AADSTS50057
 * 13. userUnderIssuerDomain            §4.1   AADSTS50008 (code unconfirmed)
 * 14. upnClaimPresent                  §2.6 §3.2  AADSTS50008 (code unconfirmed)
 * 15. mfaOutcome                       §5.1–§5.3  (no error: redirect back to the IdP or Entra MFA)
 * SAML 2.0 only (§3.2): samlResponseShape, destinationIsLoginSrf, inResponseToIssuedRequest,
 * statusSuccess, saml2AssertionShape, nameIdPersistent, bearerConfirmation — all AADSTS50008 (codes unconfirmed).
 */

export const MICROSOFT_ONLINE = 'urn:federation:MicrosoftOnline';
export const SAML11_TOKEN_TYPE = 'urn:oasis:names:tc:SAML:1.0:assertion';
/** ENTRA.md §2.5: Entra's clock-skew tolerance is *(unconfirmed)*; 5 minutes, configurable per call. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 300;

export interface RuleContext {
  tenant: Tenant;
  now: Date;
  skewSeconds: number;
}

/** 1. ENTRA.md §2.3: a bare 2005/02 RSTR; TokenType and AppliesTo, when sent, name SAML 1.1 and Entra. */
export function rstrShape(root: Element): Element {
  if (root.namespaceURI !== NS.trust2005 || root.localName !== 'RequestSecurityTokenResponse') throw wsFedMessageInvalid('rstrShape');
  const rst = firstChild(root, NS.trust2005, 'RequestedSecurityToken');
  if (!rst) throw wsFedMessageInvalid('rstrShape');
  const tokenType = firstChild(root, NS.trust2005, 'TokenType');
  if (tokenType && textOf(tokenType) !== SAML11_TOKEN_TYPE) throw wsFedMessageInvalid('rstrShape');
  const appliesTo = firstChild(root, NS.wsp, 'AppliesTo');
  if (appliesTo && descendants(appliesTo, NS.wsa, 'Address').map(textOf)[0]?.trim() !== MICROSOFT_ONLINE) {
    throw wsFedMessageInvalid('rstrShape');
  }
  return rst;
}

/**
 * 2. ENTRA.md §2.3 / §3.2 / §6.8: exactly one assertion in the whole message, where it belongs:
 * inside `container`, or the message itself when container is null (a bearer grant's assertion).
 */
export function exactlyOneAssertion(root: Element, container: Element | null, ns: string): Element {
  // getElementsByTagNameNS looks below root, so a bare assertion counts none but itself.
  const nested = [...descendants(root, NS.saml1, 'Assertion'), ...descendants(root, NS.saml2, 'Assertion')];
  const found = container
    ? nested.length === 1 && nested[0]?.parentNode === container && nested[0]
    : nested.length === 0 && root;
  if (!found || found.namespaceURI !== ns || found.localName !== 'Assertion') throw invalidSamlToken('exactlyOneAssertion');
  return found;
}

/** 3. ENTRA.md §2.11 / §2.4 / §1.3: the Issuer is exactly one federated domain's issuerUri. */
export function issuerNamesFederatedDomain(issuer: string | undefined, tenant: Tenant): { domain: Domain; federation: InternalDomainFederation } {
  const domain = issuer === undefined ? undefined : tenant.federatedDomainByIssuer(issuer);
  if (!domain?.federation) throw invalidRealm(issuer ?? '');
  return { domain, federation: domain.federation };
}

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
/** ENTRA.md §2.8: RSA-SHA256, RSA-SHA1 still accepted. */
const SIGNATURE_METHODS = ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'];
const DIGEST_METHODS = ['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2000/09/xmldsig#sha1'];

/**
 * 4. ENTRA.md §2.8 (SAML 1.1: signature is the assertion's last child) and §3.4 (SAML 2.0: right
 * after Issuer): one enveloped signature, one Reference to the assertion's own ID, transforms
 * enveloped + exclusive c14n only.
 */
export function signatureShape(assertion: Element, id: string | undefined, placement: 'last' | 'afterIssuer'): Element {
  const fail = () => invalidSignature('signatureShape');
  const signatures = elementChildren(assertion, NS.ds, 'Signature');
  const children = elementChildren(assertion);
  const signature = signatures[0];
  if (!id || signatures.length !== 1 || !signature) throw fail();
  const expectedIndex = placement === 'last' ? children.length - 1 : 1;
  if (children[expectedIndex] !== signature) throw fail();
  const signedInfo = firstChild(signature, NS.ds, 'SignedInfo');
  if (!signedInfo) throw fail();
  const algorithm = (local: string, parent: Element = signedInfo) => firstChild(parent, NS.ds, local)?.getAttribute('Algorithm');
  if (algorithm('CanonicalizationMethod') !== EXC_C14N) throw fail();
  if (!SIGNATURE_METHODS.includes(algorithm('SignatureMethod') ?? '')) throw fail();
  const refs = elementChildren(signedInfo, NS.ds, 'Reference');
  const ref = refs[0];
  if (refs.length !== 1 || !ref || ref.getAttribute('URI') !== `#${id}`) throw fail();
  if (!DIGEST_METHODS.includes(algorithm('DigestMethod', ref) ?? '')) throw fail();
  const transforms = elementChildren(firstChild(ref, NS.ds, 'Transforms') ?? ref, NS.ds, 'Transform').map((t) => t.getAttribute('Algorithm'));
  if (transforms.length !== 2 || !transforms.includes(ENVELOPED) || !transforms.includes(EXC_C14N)) throw fail();
  return signature;
}

/**
 * 5. ENTRA.md §1.4: the signature verifies with the domain's signingCertificate or its
 * nextSigningCertificate (key from Graph, never from KeyInfo). Returns the signed assertion,
 * re-read from xml-crypto's signed reference: every later rule reads only that.
 */
export function signatureByDomainCertificate(
  messageXml: string, signature: Element, idAttribute: 'AssertionID' | 'ID', federation: InternalDomainFederation,
): Element {
  for (const cert of [federation.signingCertificate, federation.nextSigningCertificate]) {
    if (!cert) continue;
    const signed = signedContent(messageXml, signature, idAttribute, cert);
    const root = signed === null ? null : parseXml(signed)?.documentElement;
    if (root) return root;
  }
  throw invalidSignature('signatureByDomainCertificate');
}

/** 6. ENTRA.md §2.4: SAML 1.1, AssertionID an XML ID (not starting with a digit), UTC IssueInstant, Issuer unchanged. */
export function saml11AssertionShape(assertion: Element, issuer: string): void {
  const ok = assertion.namespaceURI === NS.saml1 && assertion.localName === 'Assertion'
    && assertion.getAttribute('MajorVersion') === '1' && assertion.getAttribute('MinorVersion') === '1'
    && /^[A-Za-z_][\w.-]*$/.test(assertion.getAttribute('AssertionID') ?? '')
    && /Z$/.test(assertion.getAttribute('IssueInstant') ?? '')
    && assertion.getAttribute('Issuer') === issuer;
  if (!ok) throw invalidSamlToken('saml11AssertionShape');
}

/** 7. ENTRA.md §2.5 / §3.2: every audience restriction names urn:federation:MicrosoftOnline. Code *(unconfirmed)*. */
export function audienceIsMicrosoftOnline(restrictions: string[][]): void {
  if (restrictions.length === 0 || !restrictions.every((r) => r.includes(MICROSOFT_ONLINE))) {
    throw invalidSamlToken('audienceIsMicrosoftOnline');
  }
}

/** 8. ENTRA.md §2.5: NotBefore ≤ now < NotOnOrAfter, widened by the skew. AADSTS50013 for expiry *(unconfirmed)*. */
export function withinTimeWindow(notBefore: string | undefined, notOnOrAfter: string | undefined, ctx: RuleContext): void {
  const now = ctx.now.getTime();
  const skew = ctx.skewSeconds * 1000;
  const start = notBefore === undefined ? -Infinity : Date.parse(notBefore);
  const end = notOnOrAfter === undefined ? NaN : Date.parse(notOnOrAfter);
  if (Number.isNaN(start) || Number.isNaN(end) || now + skew < start || now - skew >= end) {
    throw invalidAssertion('withinTimeWindow');
  }
}

/** 9. ENTRA.md §2.6: exactly one ImmutableID (SAML 1.1 attribute; the NameID in SAML 2.0, §3.2). */
export function immutableIdPresent(values: string[]): string {
  const [value] = values;
  if (values.length !== 1 || !value) throw missingImmutableId('immutableIdPresent');
  return value;
}

/** 10. ENTRA.md §2.6: a NameIdentifier, when sent (AADInternals omits it), carries the same ImmutableID. */
export function nameIdentifierMatchesImmutableId(nameIdentifiers: string[], immutableId: string): void {
  if (nameIdentifiers.some((n) => n !== immutableId)) throw invalidSamlToken('nameIdentifierMatchesImmutableId');
}

/** 11. ENTRA.md §7.2 / §7.3: a user whose onPremisesImmutableId is exactly this value (case-sensitive). */
export function immutableIdNamesUser(immutableId: string, tenant: Tenant): User {
  const user = tenant.findUserByImmutableId(immutableId);
  if (!user) throw userNotInDirectory(immutableId, tenant.id);
  return user;
}

/** 12. Microsoft's error reference: a disabled account gets AADSTS50057. */
export function userEnabled(user: User): void {
  if (!user.accountEnabled) throw userDisabled('userEnabled');
}

/**
 * 13. ENTRA.md §4.1: the Issuer is the one of the user's own UPN-suffix domain (a subdomain inherits
 * its parent's), so one domain's IdP cannot sign in another domain's users. Code *(unconfirmed)*.
 */
export function userUnderIssuerDomain(user: User, issuerDomain: Domain, tenant: Tenant): void {
  if (tenant.domainForUpn(user.userPrincipalName) !== issuerDomain) throw invalidSamlToken('userUnderIssuerDomain');
}

/** 14. ENTRA.md §2.6 (UPN attribute) / §3.2 (IDPEmail): Microsoft lists the UPN as required. */
export function upnClaimPresent(values: string[]): string {
  const [upn] = values;
  if (!upn || !upn.includes('@')) throw invalidSamlToken('upnClaimPresent');
  return upn;
}

export const MFA_METHODS = ['http://schemas.microsoft.com/claims/multipleauthn', 'http://schemas.microsoft.com/claims/wiaormultiauthn'];
export type MfaOutcome = 'not-required' | 'done-by-idp' | 'entra-mfa' | 'redirect-to-idp';

/**
 * 15. ENTRA.md §5.1: when the sign-in needs MFA, accept → the IdP's claim else Entra's own MFA;
 * enforce → the IdP's claim else back to the IdP with wauth=multipleauthn; reject → Entra's MFA
 * always. A null behaviour acts as accept (§1.2). `methods` are what §5.2 / §5.3 let count.
 */
export function mfaOutcome(methods: string[], federation: InternalDomainFederation, mfaRequired: boolean): MfaOutcome {
  if (!mfaRequired) return 'not-required';
  const byIdp = methods.some((m) => MFA_METHODS.includes(m));
  switch (federation.federatedIdpMfaBehavior ?? 'acceptIfMfaDoneByFederatedIdp') {
    case 'rejectMfaByFederatedIdp': return 'entra-mfa';
    case 'enforceMfaByFederatedIdp': return byIdp ? 'done-by-idp' : 'redirect-to-idp';
    case 'acceptIfMfaDoneByFederatedIdp': return byIdp ? 'done-by-idp' : 'entra-mfa';
  }
}

// ---- SAML 2.0 only (ENTRA.md §3.2) ----

/** §3.2: a SAML 2.0 protocol Response. */
export function samlResponseShape(root: Element): void {
  if (root.namespaceURI !== NS.samlp || root.localName !== 'Response' || root.getAttribute('Version') !== '2.0') {
    throw invalidSamlToken('samlResponseShape');
  }
}

/** §3.2: Destination = Entra's login.srf (the double's own URL, or the production one it stands for). */
export function destinationIsLoginSrf(destination: string | undefined, loginSrfUrls: string[]): void {
  if (!destination || !loginSrfUrls.includes(destination)) throw invalidSamlToken('destinationIsLoginSrf');
}

/** §3.2: InResponseTo names the AuthnRequest Entra sent (no IdP-initiated responses). */
export function inResponseToIssuedRequest(inResponseTo: string | undefined, requestId: string | undefined): void {
  if (!inResponseTo || inResponseTo !== requestId) throw invalidSamlToken('inResponseToIssuedRequest');
}

/** §3.2: top-level StatusCode Success. */
export function statusSuccess(statusCode: string | undefined): void {
  if (statusCode !== 'urn:oasis:names:tc:SAML:2.0:status:Success') throw invalidSamlToken('statusSuccess');
}

/** §3.2 / §3.4: SAML 2.0 assertion whose Issuer is still the one the domain was found by. */
export function saml2AssertionShape(assertion: Element, issuer: string): void {
  const ok = assertion.namespaceURI === NS.saml2 && assertion.localName === 'Assertion'
    && assertion.getAttribute('Version') === '2.0' && /^[A-Za-z_][\w.-]*$/.test(assertion.getAttribute('ID') ?? '')
    && textOf(firstChild(assertion, NS.saml2, 'Issuer'))?.trim() === issuer;
  if (!ok) throw invalidSamlToken('saml2AssertionShape');
}

/** §3.2: NameID Format persistent, "the only format accepted". */
export function nameIdPersistent(format: string | undefined): void {
  if (format !== 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent') throw invalidSamlToken('nameIdPersistent');
}

export interface BearerConfirmation { method?: string; recipient?: string; inResponseTo?: string; notOnOrAfter?: string }

/** §3.2: a bearer SubjectConfirmation for login.srf, answering our request, not yet expired. */
export function bearerConfirmation(c: BearerConfirmation, loginSrfUrls: string[], requestId: string, ctx: RuleContext): void {
  if (c.method !== 'urn:oasis:names:tc:SAML:2.0:cm:bearer' || !loginSrfUrls.includes(c.recipient ?? '') || c.inResponseTo !== requestId) {
    throw invalidSamlToken('bearerConfirmation');
  }
  withinTimeWindow(undefined, c.notOnOrAfter, ctx);
}
