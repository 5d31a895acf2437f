import { randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { makeTestCert, type TestCert } from '../support/pki.js';

/**
 * A test-local IdP: builds tokens exactly as ENTRA.md describes a correct one (§2.3–§2.8 for
 * WS-Fed / SAML 1.1, §3.2 / §3.4 for SAML 2.0), signed with a throwaway RSA-2048 certificate, with
 * options that each break one rule.
 */

/** The IdP's signing key and certificate; `base64Der` is what Graph holds (ENTRA.md §1.2). */
export type IdpKey = TestCert;

/** A throwaway self-signed RSA-2048 signing certificate named `CN=<name>`. */
export function newIdpKey(name = 'test-idp'): Promise<IdpKey> {
  return makeTestCert(name);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (ms: number) => new Date(ms).toISOString();

export const PASSWORD_METHOD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
export const MFA_METHOD = 'http://schemas.microsoft.com/claims/multipleauthn';

export interface Saml11Options {
  key: IdpKey;
  issuer: string;
  immutableId: string;
  upn: string;
  /** null = no NameIdentifier (AADInternals style, ENTRA.md §2.6); default = the ImmutableID. */
  nameIdentifier?: string | null;
  /** null = no ImmutableID attribute. */
  immutableIdAttribute?: string | null;
  /** null = no UPN attribute. */
  upnAttribute?: string | null;
  audience?: string;
  assertionId?: string;
  majorVersion?: string;
  /** Token validity relative to now, in seconds (AD FS: NotBefore = now, 1 hour). */
  notBeforeOffset?: number;
  lifetime?: number;
  authenticationMethod?: string;
  authnMethodsReferences?: string[];
  signatureAlgorithm?: 'rsa-sha256' | 'rsa-sha1';
}

const SIG_ALG = {
  'rsa-sha256': ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2001/04/xmlenc#sha256'],
  'rsa-sha1': ['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1'],
} as const;

/** Enveloped, exclusive-c14n XML-DSig over the root element (ENTRA.md §2.8), placed by `location`. */
export function sign(xml: string, key: IdpKey, idAttribute: string, location: { reference: string; action: 'append' | 'after' }, alg: keyof typeof SIG_ALG = 'rsa-sha256'): string {
  const [signatureAlgorithm, digestAlgorithm] = SIG_ALG[alg];
  const sig = new SignedXml({
    privateKey: key.keyPem, publicCert: key.certPem, idAttribute, signatureAlgorithm,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: '/*',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm,
  });
  sig.computeSignature(xml, { prefix: 'ds', location });
  return sig.getSignedXml();
}

/** A signed SAML 1.1 assertion as AD FS issues it for Entra (ENTRA.md §2.4–§2.8). */
export function saml11Assertion(o: Saml11Options): string {
  const now = Date.now();
  const notBefore = now + (o.notBeforeOffset ?? 0) * 1000;
  const subject = `<saml:Subject>${o.nameIdentifier === null ? '' : `<saml:NameIdentifier Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${esc(o.nameIdentifier ?? o.immutableId)}</saml:NameIdentifier>`}<saml:SubjectConfirmation><saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:bearer</saml:ConfirmationMethod></saml:SubjectConfirmation></saml:Subject>`;
  const attr = (name: string, ns: string, values: string[]) =>
    `<saml:Attribute AttributeName="${name}" AttributeNamespace="${ns}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`;
  const upn = o.upnAttribute === undefined ? o.upn : o.upnAttribute;
  const immutableId = o.immutableIdAttribute === undefined ? o.immutableId : o.immutableIdAttribute;
  const xml = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" MajorVersion="${o.majorVersion ?? '1'}" MinorVersion="1" AssertionID="${o.assertionId ?? `_${randomUUID()}`}" Issuer="${esc(o.issuer)}" IssueInstant="${iso(now)}">`
    + `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notBefore + (o.lifetime ?? 3600) * 1000)}"><saml:AudienceRestrictionCondition><saml:Audience>${esc(o.audience ?? 'urn:federation:MicrosoftOnline')}</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions>`
    + `<saml:AttributeStatement>${subject}`
    + (upn === null ? '' : attr('UPN', 'http://schemas.xmlsoap.org/claims', [upn]))
    + (immutableId === null ? '' : attr('ImmutableID', 'http://schemas.microsoft.com/LiveID/Federation/2008/05', [immutableId]))
    + attr('insidecorporatenetwork', 'http://schemas.microsoft.com/ws/2012/01', ['false'])
    + attr('authnmethodsreferences', 'http://schemas.microsoft.com/claims', o.authnMethodsReferences ?? [PASSWORD_METHOD])
    + `</saml:AttributeStatement>`
    + `<saml:AuthenticationStatement AuthenticationMethod="${o.authenticationMethod ?? PASSWORD_METHOD}" AuthenticationInstant="${iso(now)}">${subject}</saml:AuthenticationStatement>`
    + `</saml:Assertion>`;
  return sign(xml, o.key, 'AssertionID', { reference: '/*', action: 'append' }, o.signatureAlgorithm);
}

export interface RstrOptions {
  tokenType?: string;
  appliesTo?: string;
  /** Extra XML placed inside RequestedSecurityToken after the assertion (wrapping attacks). */
  extraToken?: string;
}

/** The bare RSTR of ENTRA.md §2.3 around an assertion. */
export function wsFedResult(assertion: string, o: RstrOptions = {}): string {
  const now = Date.now();
  const wsu = 'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"';
  return `<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust">`
    + `<t:Lifetime><wsu:Created ${wsu}>${iso(now)}</wsu:Created><wsu:Expires ${wsu}>${iso(now + 3600_000)}</wsu:Expires></t:Lifetime>`
    + `<wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>${esc(o.appliesTo ?? 'urn:federation:MicrosoftOnline')}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>`
    + `<t:RequestedSecurityToken>${assertion}${o.extraToken ?? ''}</t:RequestedSecurityToken>`
    + `<t:TokenType>${esc(o.tokenType ?? 'urn:oasis:names:tc:SAML:1.0:assertion')}</t:TokenType>`
    + `<t:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</t:RequestType>`
    + `<t:KeyType>http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey</t:KeyType>`
    + `</t:RequestSecurityTokenResponse>`;
}

export interface Saml2Options {
  key: IdpKey;
  issuer: string;
  immutableId: string;
  upn: string;
  destination: string;
  inResponseTo: string;
  nameIdFormat?: string;
  recipient?: string;
  confirmationInResponseTo?: string;
  audience?: string;
  status?: string;
  authnContextClassRef?: string;
  lifetime?: number;
}

/** A SAML 2.0 Response with a signed assertion as ENTRA.md §3.2 / §3.4 describe. */
export function saml2Response(o: Saml2Options): string {
  const now = Date.now();
  const end = iso(now + (o.lifetime ?? 3600) * 1000);
  const assertion = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomUUID()}" Version="2.0" IssueInstant="${iso(now)}">`
    + `<saml:Issuer>${esc(o.issuer)}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="${o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'}">${esc(o.immutableId.replace(/\+/g, '.2B'))}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${esc(o.confirmationInResponseTo ?? o.inResponseTo)}" NotOnOrAfter="${end}" Recipient="${esc(o.recipient ?? o.destination)}"/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${iso(now)}" NotOnOrAfter="${end}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? 'urn:federation:MicrosoftOnline')}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AttributeStatement><saml:Attribute Name="IDPEmail"><saml:AttributeValue>${esc(o.upn)}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>`
    + `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="_${randomUUID()}"><saml:AuthnContext><saml:AuthnContextClassRef>${o.authnContextClassRef ?? PASSWORD_METHOD}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + `</saml:Assertion>`;
  const signed = sign(assertion, o.key, 'ID', { reference: "/*/*[local-name()='Issuer']", action: 'after' });
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_${randomUUID()}" Version="2.0" IssueInstant="${iso(now)}" Destination="${esc(o.destination)}" InResponseTo="${esc(o.inResponseTo)}">`
    + `<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${esc(o.issuer)}</saml:Issuer>`
    + `<samlp:Status><samlp:StatusCode Value="${o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></samlp:Status>`
    + signed.replace(/^<\?xml[^>]*>/, '')
    + `</samlp:Response>`;
}
