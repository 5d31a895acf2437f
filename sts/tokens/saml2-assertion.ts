import { randomUUID } from 'node:crypto';
import type { SignatureAlgorithm, Signer } from '../../keys/signer.js';
import { signEnveloped } from '../../xml/sign.js';
import { namespace, XmlWriter, type WrittenXml } from '../../xml/writer.js';
import { samlTime, type Saml11AssertionInput } from './saml11-assertion.js';

export const SAML2_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAML2 = namespace('saml', SAML2_NS);
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** SAML 2.0 Core §8.2.2: attribute names that are URIs, as AD FS writes claim types. */
const URI_NAME_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';

export interface Saml2Attribute {
  name: string;
  /** Omitted for a plain name such as Entra's IDPEmail (ENTRA.md §3.2). */
  nameFormat?: string | undefined;
  values: string[];
}

/** The same identity, issuer, audience and validity window as a SAML 1.1 assertion (ENTRA.md §2.4, §2.5, §3.2). */
export interface Saml2AssertionInput extends Pick<Saml11AssertionInput, 'assertionId' | 'issuer' | 'audience' | 'issueInstant' | 'notBefore' | 'notOnOrAfter'> {
  nameId: { value: string; format: string; spNameQualifier?: string | undefined };
  /** SubjectConfirmationData (SAML 2.0 Profiles §4.1.4.2): the ACS URL, and the request answered (none when IdP-initiated). */
  recipient: string;
  inResponseTo?: string | undefined;
  attributes: Saml2Attribute[];
  authn: { instant: Date; sessionIndex: string; classRef: string };
  /** Absent: the assertion is left unsigned (the trust signs the Response only). */
  signing?: { signer: Signer; algorithm: SignatureAlgorithm } | undefined;
}

export interface Saml2Assertion {
  signed: WrittenXml;
  assertionId: string;
}

/**
 * The SAML 2.0 assertion of SAML Core §2.3.3 in the order ENTRA.md §3.4 names: Issuer, the
 * signature, Subject, Conditions, then the statements. Bearer confirmation with Recipient,
 * NotOnOrAfter and InResponseTo as the Web Browser SSO profile requires (Profiles §4.1.4.2).
 */
export async function buildSaml2Assertion(input: Saml2AssertionInput): Promise<Saml2Assertion> {
  const assertionId = input.assertionId ?? `_${randomUUID()}`;
  const w = new XmlWriter().start(SAML2, 'Assertion', { ID: assertionId, IssueInstant: samlTime(input.issueInstant), Version: '2.0' });
  w.leaf(SAML2, 'Issuer', input.issuer);
  if (input.signing) w.signatureHere();
  w.start(SAML2, 'Subject')
    .leaf(SAML2, 'NameID', input.nameId.value, { Format: input.nameId.format, SPNameQualifier: input.nameId.spNameQualifier })
    .start(SAML2, 'SubjectConfirmation', { Method: BEARER })
    .leaf(SAML2, 'SubjectConfirmationData', '', { InResponseTo: input.inResponseTo, NotOnOrAfter: samlTime(input.notOnOrAfter), Recipient: input.recipient })
    .end()
    .end();
  w.start(SAML2, 'Conditions', { NotBefore: samlTime(input.notBefore), NotOnOrAfter: samlTime(input.notOnOrAfter) })
    .start(SAML2, 'AudienceRestriction')
    .leaf(SAML2, 'Audience', input.audience)
    .end()
    .end();
  if (input.attributes.length > 0) {
    w.start(SAML2, 'AttributeStatement');
    for (const a of input.attributes) {
      w.start(SAML2, 'Attribute', { Name: a.name, NameFormat: a.nameFormat });
      for (const v of a.values) w.leaf(SAML2, 'AttributeValue', v);
      w.end();
    }
    w.end();
  }
  w.start(SAML2, 'AuthnStatement', { AuthnInstant: samlTime(input.authn.instant), SessionIndex: input.authn.sessionIndex })
    .start(SAML2, 'AuthnContext')
    .leaf(SAML2, 'AuthnContextClassRef', input.authn.classRef)
    .end()
    .end();
  const doc = w.end().finish();
  const signed = input.signing ? await signEnveloped(doc, { signer: input.signing.signer, algorithm: input.signing.algorithm, idAttribute: 'ID' }) : doc;
  return { signed, assertionId };
}

export { URI_NAME_FORMAT };
