import type { Element } from '@xmldom/xmldom';
import type { Domain, InternalDomainFederation, User } from '../tenant.js';
import { invalidSamlToken, invalidRealm, wsFedMessageInvalid } from './errors.js';
import {
  type MfaOutcome, type RuleContext,
  audienceIsMicrosoftOnline, bearerConfirmation, destinationIsLoginSrf, exactlyOneAssertion, immutableIdNamesUser,
  immutableIdPresent, inResponseToIssuedRequest, issuerNamesFederatedDomain, mfaOutcome, nameIdPersistent,
  nameIdentifierMatchesImmutableId, rstrShape, saml11AssertionShape, saml2AssertionShape, samlResponseShape,
  signatureByDomainCertificate, signatureShape, statusSuccess, upnClaimPresent, userEnabled, userUnderIssuerDomain,
  withinTimeWindow,
} from './rules.js';
import { NS, descendants, elementChildren, firstChild, parseXml, textOf } from './xml.js';

/**
 * The rules of rules.ts strung together per message kind, reading each claim from the signed
 * assertion only. Every function either returns the signed-in user or throws an EntraError.
 */

export interface ValidatedSignIn {
  domain: Domain;
  federation: InternalDomainFederation;
  user: User;
  /** The UPN claim as sent (ENTRA.md §2.6 / IDPEmail §3.2). */
  upnClaim: string;
  immutableId: string;
  /** Authentication methods that ENTRA.md §5.2 / §5.3 let count for MFA. */
  methods: string[];
  mfa: MfaOutcome;
}

/** What the SAML 2.0 browser flow checks the Response against (ENTRA.md §3.2). */
export interface Saml2Expectation {
  requestId: string;
  loginSrfUrls: string[];
}

const CLAIMS = {
  upn: ['UPN', 'http://schemas.xmlsoap.org/claims'],
  immutableId: ['ImmutableID', 'http://schemas.microsoft.com/LiveID/Federation/2008/05'],
  authenticationMethod: ['authenticationmethod', 'http://schemas.microsoft.com/ws/2008/06/identity/claims'],
  authnMethodsReferences: ['authnmethodsreferences', 'http://schemas.microsoft.com/claims'],
} as const;

const texts = (els: Element[]) => els.map((e) => textOf(e)?.trim() ?? '');

function parseOr(xml: string, error: () => Error): Element {
  const root = parseXml(xml)?.documentElement;
  if (!root) throw error();
  return root;
}

/** ENTRA.md §2.2–§2.8: `wresult` of a wsignin1.0 answer POSTed to login.srf. */
export function validateWsFedResult(wresult: string, ctx: RuleContext, mfaRequired: boolean): ValidatedSignIn {
  const root = parseOr(wresult, () => wsFedMessageInvalid('rstrShape'));
  const container = rstrShape(root);
  return validateSaml11(wresult, exactlyOneAssertion(root, container, NS.saml1), ctx, mfaRequired);
}

/** ENTRA.md §6.8: the bare SAML 1.1 assertion of a saml1_1-bearer grant. */
export function validateSaml11Assertion(xml: string, ctx: RuleContext): ValidatedSignIn {
  const root = parseOr(xml, () => invalidSamlToken('exactlyOneAssertion'));
  return validateSaml11(xml, exactlyOneAssertion(root, null, NS.saml1), ctx, false);
}

function validateSaml11(messageXml: string, assertion: Element, ctx: RuleContext, mfaRequired: boolean): ValidatedSignIn {
  const issuer = assertion.getAttribute('Issuer') ?? undefined;
  const { domain, federation } = issuerNamesFederatedDomain(issuer, ctx.tenant);
  const signature = signatureShape(assertion, assertion.getAttribute('AssertionID') ?? undefined, 'last');
  const signed = signatureByDomainCertificate(messageXml, signature, 'AssertionID', federation);
  saml11AssertionShape(signed, issuer ?? '');
  const conditions = firstChild(signed, NS.saml1, 'Conditions');
  audienceIsMicrosoftOnline(restrictions(conditions, 'AudienceRestrictionCondition'));
  withinTimeWindow(conditions?.getAttribute('NotBefore') ?? undefined, conditions?.getAttribute('NotOnOrAfter') ?? undefined, ctx);
  const attribute = ([name, ns]: readonly [string, string]) =>
    texts(descendants(signed, NS.saml1, 'Attribute')
      .filter((a) => a.getAttribute('AttributeName') === name && a.getAttribute('AttributeNamespace') === ns)
      .flatMap((a) => elementChildren(a, NS.saml1, 'AttributeValue')));
  const immutableId = immutableIdPresent(attribute(CLAIMS.immutableId));
  nameIdentifierMatchesImmutableId(texts(descendants(signed, NS.saml1, 'NameIdentifier')), immutableId);
  const user = signedInUser(immutableId, domain, ctx);
  const upnClaim = upnClaimPresent(attribute(CLAIMS.upn));
  // ENTRA.md §5.2: AuthenticationMethod, the authenticationmethod attribute, or (observed) authnmethodsreferences.
  const methods = [
    ...descendants(signed, NS.saml1, 'AuthenticationStatement').map((s) => s.getAttribute('AuthenticationMethod') ?? ''),
    ...attribute(CLAIMS.authenticationMethod),
    ...attribute(CLAIMS.authnMethodsReferences),
  ];
  return { domain, federation, user, upnClaim, immutableId, methods, mfa: mfaOutcome(methods, federation, mfaRequired) };
}

/** ENTRA.md §3.2: the SAMLResponse of the SAML 2.0 browser flow. */
export function validateSaml2Response(xml: string, ctx: RuleContext, expect: Saml2Expectation, mfaRequired: boolean): ValidatedSignIn {
  const root = parseOr(xml, () => invalidSamlToken('samlResponseShape'));
  samlResponseShape(root);
  destinationIsLoginSrf(root.getAttribute('Destination') ?? undefined, expect.loginSrfUrls);
  inResponseToIssuedRequest(root.getAttribute('InResponseTo') ?? undefined, expect.requestId);
  const status = firstChild(firstChild(root, NS.samlp, 'Status') ?? root, NS.samlp, 'StatusCode');
  statusSuccess(status?.getAttribute('Value') ?? undefined);
  const assertion = exactlyOneAssertion(root, root, NS.saml2);
  const responseIssuer = textOf(firstChild(root, NS.saml2, 'Issuer'))?.trim();
  const assertionIssuer = textOf(firstChild(assertion, NS.saml2, 'Issuer'))?.trim();
  // The Response's own Issuer is optional, but when present it must be the same realm (§3.2).
  if (responseIssuer !== undefined && responseIssuer !== assertionIssuer) throw invalidRealm(responseIssuer);
  return validateSaml2(xml, assertion, ctx, mfaRequired, expect);
}

/** ENTRA.md §6.8: the bare SAML 2.0 assertion of a saml2-bearer grant. */
export function validateSaml2Assertion(xml: string, ctx: RuleContext): ValidatedSignIn {
  const root = parseOr(xml, () => invalidSamlToken('exactlyOneAssertion'));
  return validateSaml2(xml, exactlyOneAssertion(root, null, NS.saml2), ctx, false, undefined);
}

function validateSaml2(
  messageXml: string, assertion: Element, ctx: RuleContext, mfaRequired: boolean, expect: Saml2Expectation | undefined,
): ValidatedSignIn {
  const issuer = textOf(firstChild(assertion, NS.saml2, 'Issuer'))?.trim();
  const { domain, federation } = issuerNamesFederatedDomain(issuer, ctx.tenant);
  const signature = signatureShape(assertion, assertion.getAttribute('ID') ?? undefined, 'afterIssuer');
  const signed = signatureByDomainCertificate(messageXml, signature, 'ID', federation);
  saml2AssertionShape(signed, issuer ?? '');
  const subject = firstChild(signed, NS.saml2, 'Subject');
  const nameId = subject && firstChild(subject, NS.saml2, 'NameID');
  nameIdPersistent(nameId?.getAttribute('Format') ?? undefined);
  if (expect) {
    const confirmation = subject && firstChild(subject, NS.saml2, 'SubjectConfirmation');
    const data = confirmation && firstChild(confirmation, NS.saml2, 'SubjectConfirmationData');
    bearerConfirmation({
      method: confirmation?.getAttribute('Method') ?? undefined,
      recipient: data?.getAttribute('Recipient') ?? undefined,
      inResponseTo: data?.getAttribute('InResponseTo') ?? undefined,
      notOnOrAfter: data?.getAttribute('NotOnOrAfter') ?? undefined,
    }, expect.loginSrfUrls, expect.requestId, ctx);
  }
  const conditions = firstChild(signed, NS.saml2, 'Conditions');
  audienceIsMicrosoftOnline(restrictions(conditions, 'AudienceRestriction'));
  withinTimeWindow(conditions?.getAttribute('NotBefore') ?? undefined, conditions?.getAttribute('NotOnOrAfter') ?? undefined, ctx);
  const immutableId = immutableIdPresent(nameId ? [decodeNameId(textOf(nameId)?.trim() ?? '')] : []);
  const user = signedInUser(immutableId, domain, ctx);
  const upnClaim = upnClaimPresent(texts(descendants(signed, NS.saml2, 'Attribute')
    .filter((a) => a.getAttribute('Name') === 'IDPEmail')
    .flatMap((a) => elementChildren(a, NS.saml2, 'AttributeValue'))));
  // ENTRA.md §5.3: only AuthnContextClassRef counts; attributes are ignored.
  const methods = texts(descendants(signed, NS.saml2, 'AuthnContextClassRef'));
  return { domain, federation, user, upnClaim, immutableId, methods, mfa: mfaOutcome(methods, federation, mfaRequired) };
}

function signedInUser(immutableId: string, domain: Domain, ctx: RuleContext): User {
  const user = immutableIdNamesUser(immutableId, ctx.tenant);
  userEnabled(user);
  userUnderIssuerDomain(user, domain, ctx.tenant);
  return user;
}

/** The audiences of each restriction element under Conditions (SAML 1.1 and 2.0 name them differently). */
function restrictions(conditions: Element | undefined, restrictionName: string): string[][] {
  if (!conditions) return [];
  const ns = conditions.namespaceURI ?? '';
  return elementChildren(conditions, ns, restrictionName).map((r) => texts(elementChildren(r, ns, 'Audience')));
}

/**
 * ENTRA.md §3.2: the IdP encodes characters of the ImmutableID that are not HTML-safe as `.XX`
 * (`+` → `.2B`). Base64 has no `.`, so every `.XX` is such an escape.
 */
function decodeNameId(value: string): string {
  return value.replace(/\.([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
