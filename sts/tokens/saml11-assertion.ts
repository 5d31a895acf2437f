import { randomUUID } from 'node:crypto';
import type { SignatureAlgorithm, Signer } from '../../keys/signer.js';
import { signEnveloped } from '../../xml/sign.js';
import { namespace, XmlWriter, type WrittenXml } from '../../xml/writer.js';

export const SAML11_NS = 'urn:oasis:names:tc:SAML:1.0:assertion';
const SAML = namespace('saml', SAML11_NS);

/** ENTRA.md §2.6: the only SubjectConfirmation a WS-Fed / WS-Trust token carries. */
export const SAML11_BEARER = 'urn:oasis:names:tc:SAML:1.0:cm:bearer';

export interface Saml11Attribute {
  name: string;
  namespace: string;
  values: string[];
}

export interface Saml11AssertionInput {
  /** Default `_` + a random UUID, as AD FS does (an XML ID must not start with a digit, §2.4). */
  assertionId?: string;
  /** The domain's `issuerUri`, exactly as configured in Graph (§2.4, §4.1). */
  issuer: string;
  audience: string;
  issueInstant: Date;
  notBefore: Date;
  notOnOrAfter: Date;
  subject: { nameId: string; format: string };
  attributes: Saml11Attribute[];
  authentication: { method: string; instant: Date };
  signer: Signer;
  algorithm?: SignatureAlgorithm;
}

export interface Saml11Assertion {
  /** The signed assertion text, self-contained and exclusive-canonical (cut out verbatim, §6.7). */
  xml: string;
  /** The same, for embedding with `XmlWriter.raw` (the RSTR, ENTRA.md §2.3 / §6.3). */
  signed: WrittenXml;
  assertionId: string;
  /** The Conditions window, which the RSTR Lifetime repeats (§2.3). */
  notBefore: Date;
  notOnOrAfter: Date;
}

/** AD FS writes UTC with milliseconds and `Z` (§2.4); toISOString is exactly that. */
export const samlTime = (d: Date): string => d.toISOString();

/**
 * Builds and signs the SAML 1.1 assertion of ENTRA.md §2.4–§2.8. Child order is fixed by the
 * schema: Conditions, AttributeStatement, AuthenticationStatement, then ds:Signature last (§2.8).
 */
export async function buildSaml11Assertion(input: Saml11AssertionInput): Promise<Saml11Assertion> {
  if (input.attributes.length === 0) throw new TypeError('a SAML 1.1 AttributeStatement needs at least one Attribute');
  const assertionId = input.assertionId ?? `_${randomUUID()}`;
  const w = new XmlWriter();
  w.start(SAML, 'Assertion', {
    MajorVersion: '1',
    MinorVersion: '1',
    AssertionID: assertionId,
    Issuer: input.issuer,
    IssueInstant: samlTime(input.issueInstant),
  });

  w.start(SAML, 'Conditions', { NotBefore: samlTime(input.notBefore), NotOnOrAfter: samlTime(input.notOnOrAfter) })
    .start(SAML, 'AudienceRestrictionCondition')
    .leaf(SAML, 'Audience', input.audience)
    .end()
    .end();

  w.start(SAML, 'AttributeStatement');
  writeSubject(w, input.subject);
  for (const attribute of input.attributes) {
    if (attribute.values.length === 0) throw new TypeError(`attribute ${attribute.name} has no value`);
    w.start(SAML, 'Attribute', { AttributeName: attribute.name, AttributeNamespace: attribute.namespace });
    for (const value of attribute.values) w.leaf(SAML, 'AttributeValue', value);
    w.end();
  }
  w.end();

  // §2.7: the first-factor method and instant; Conditional Access sign-in frequency reads them.
  w.start(SAML, 'AuthenticationStatement', {
    AuthenticationMethod: input.authentication.method,
    AuthenticationInstant: samlTime(input.authentication.instant),
  });
  writeSubject(w, input.subject);
  w.end();

  w.signatureHere().end();
  const signed = await signEnveloped(w.finish(), {
    signer: input.signer,
    algorithm: input.algorithm ?? 'rsa-sha256',
    idAttribute: 'AssertionID',
  });
  return { xml: signed.xml, signed, assertionId, notBefore: input.notBefore, notOnOrAfter: input.notOnOrAfter };
}

function writeSubject(w: XmlWriter, subject: Saml11AssertionInput['subject']): void {
  w.start(SAML, 'Subject')
    .leaf(SAML, 'NameIdentifier', subject.nameId, { Format: subject.format })
    .start(SAML, 'SubjectConfirmation')
    .leaf(SAML, 'ConfirmationMethod', SAML11_BEARER)
    .end()
    .end();
}
