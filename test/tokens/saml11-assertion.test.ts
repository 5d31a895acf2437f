import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { softwareSigner, type Signer } from '../../keys/signer.js';
import { buildSaml11Assertion, SAML11_NS, type Saml11AssertionInput } from '../../sts/tokens/saml11-assertion.js';
import { wsfedRstr } from '../../sts/protocols/wstrust/rstr.js';
import { childElements, elementChildren, onlyChild, parseXml, rootElement, textOf } from '../../xml/parse.js';
import { verifyEnveloped } from '../../xml/verify.js';
import { makeTestCert, type TestCert } from '../support/pki.js';
import { xmlsecVerify } from '../xml/xmlsec1.js';

const ID = { attr: 'AssertionID', ns: SAML11_NS, element: 'Assertion' };
const HOSTILE = `<script>alert('x')</script> & "quoted" ]]> done`;
const issued = new Date('2025-03-04T05:06:07.089Z');

function input(signer: Signer, overrides: Partial<Saml11AssertionInput> = {}): Saml11AssertionInput {
  return {
    assertionId: '_9e2c1a43-7b5d-4a8e-b1f0-0c9d8e7f6a5b',
    issuer: 'http://corp.example.com/adfs/services/trust/',
    audience: 'urn:federation:MicrosoftOnline',
    issueInstant: issued,
    notBefore: issued,
    notOnOrAfter: new Date(issued.getTime() + 3_600_000),
    subject: { nameId: 'RDMiEWZViHeZqrvM3e7/AA==', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' },
    attributes: [
      { name: 'UPN', namespace: 'http://schemas.xmlsoap.org/claims', values: ['alice@corp.example.com'] },
      { name: 'ImmutableID', namespace: 'http://schemas.microsoft.com/LiveID/Federation/2008/05', values: ['RDMiEWZViHeZqrvM3e7/AA=='] },
      { name: 'authnmethodsreferences', namespace: 'http://schemas.microsoft.com/claims',
        values: ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password', HOSTILE] },
    ],
    authentication: { method: 'urn:oasis:names:tc:SAML:1.0:am:password', instant: new Date(issued.getTime() - 1000) },
    signer,
    ...overrides,
  };
}

/** MSAL Python's wstrust_response.findall_content, ported: the raw text between the tags (ENTRA.md §6.7). */
function cutLikeMsalPython(rstr: string): string {
  const match = /<(?:\w+:)?RequestedSecurityToken(?:[^>]*)>(.*)<\/(?:\w+:)?RequestedSecurityToken/s.exec(rstr);
  assert.ok(match?.[1], 'no RequestedSecurityToken');
  return match[1];
}

describe('SAML 1.1 assertion (ENTRA.md §2.4–§2.8)', () => {
  let cert: TestCert;
  let signer: Signer;
  let xml: string;
  before(async () => {
    cert = await makeTestCert();
    signer = softwareSigner(cert.key, cert.certDer, cert.thumbprint);
    xml = (await buildSaml11Assertion(input(signer))).xml;
  });

  it('verifies with xmlsec1 on its own', async () => {
    const result = await xmlsecVerify(xml, cert.certPem, ID);
    assert.ok(result.ok, result.output);
  });

  it('verifies with xmlsec1 when cut out of the RSTR the way MSAL Python does', async () => {
    const assertion = await buildSaml11Assertion(input(signer));
    const cut = cutLikeMsalPython(wsfedRstr(assertion, 'urn:federation:MicrosoftOnline'));
    assert.equal(cut, assertion.xml);
    const result = await xmlsecVerify(cut, cert.certPem, ID);
    assert.ok(result.ok, result.output);
  });

  it('verifies with xml-crypto, directly and through xml/verify.ts', () => {
    const sx = new SignedXml({ publicCert: cert.certPem, idAttribute: 'AssertionID' });
    const doc = parseXml(xml);
    sx.loadSignature(doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').item(0)!.toString());
    assert.equal(sx.checkSignature(xml), true);
    const verified = verifyEnveloped(xml, { expect: { ns: SAML11_NS, name: 'Assertion' }, keys: [createPublicKey(cert.certPem)], idAttribute: 'AssertionID' });
    assert.equal(verified.root.getAttribute('AssertionID'), '_9e2c1a43-7b5d-4a8e-b1f0-0c9d8e7f6a5b');
  });

  it('declares xmlns:saml on the Assertion and writes the schema child order, Signature last', () => {
    assert.match(xml, /^<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1\.0:assertion" AssertionID="_9e2c1a43-7b5d-4a8e-b1f0-0c9d8e7f6a5b" /);
    const root = rootElement(parseXml(xml), SAML11_NS, 'Assertion');
    assert.deepEqual(elementChildren(root).map((e) => e.localName), ['Conditions', 'AttributeStatement', 'AuthenticationStatement', 'Signature']);
    assert.equal(root.getAttribute('MajorVersion'), '1');
    assert.equal(root.getAttribute('MinorVersion'), '1');
    assert.equal(root.getAttribute('Issuer'), 'http://corp.example.com/adfs/services/trust/');
  });

  it('writes times in UTC with milliseconds and Z', () => {
    const root = rootElement(parseXml(xml), SAML11_NS, 'Assertion');
    const conditions = onlyChild(root, SAML11_NS, 'Conditions');
    assert.equal(root.getAttribute('IssueInstant'), '2025-03-04T05:06:07.089Z');
    assert.equal(conditions.getAttribute('NotBefore'), '2025-03-04T05:06:07.089Z');
    assert.equal(conditions.getAttribute('NotOnOrAfter'), '2025-03-04T06:06:07.089Z');
    const authn = onlyChild(root, SAML11_NS, 'AuthenticationStatement');
    assert.equal(authn.getAttribute('AuthenticationInstant'), '2025-03-04T05:06:06.089Z');
  });

  it('carries audience, subject with bearer confirmation, and attributes in order', () => {
    const root = rootElement(parseXml(xml), SAML11_NS, 'Assertion');
    const audience = onlyChild(onlyChild(onlyChild(root, SAML11_NS, 'Conditions'), SAML11_NS, 'AudienceRestrictionCondition'), SAML11_NS, 'Audience');
    assert.equal(textOf(audience), 'urn:federation:MicrosoftOnline');
    const statement = onlyChild(root, SAML11_NS, 'AttributeStatement');
    for (const holder of [statement, onlyChild(root, SAML11_NS, 'AuthenticationStatement')]) {
      const subject = onlyChild(holder, SAML11_NS, 'Subject');
      const nameId = onlyChild(subject, SAML11_NS, 'NameIdentifier');
      assert.equal(textOf(nameId), 'RDMiEWZViHeZqrvM3e7/AA==');
      assert.equal(nameId.getAttribute('Format'), 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified');
      const method = onlyChild(onlyChild(subject, SAML11_NS, 'SubjectConfirmation'), SAML11_NS, 'ConfirmationMethod');
      assert.equal(textOf(method), 'urn:oasis:names:tc:SAML:1.0:cm:bearer');
    }
    assert.equal(elementChildren(statement)[0]?.localName, 'Subject');
    const attributes = childElements(statement, SAML11_NS, 'Attribute');
    assert.deepEqual(attributes.map((a) => [a.getAttribute('AttributeName'), a.getAttribute('AttributeNamespace')]), [
      ['UPN', 'http://schemas.xmlsoap.org/claims'],
      ['ImmutableID', 'http://schemas.microsoft.com/LiveID/Federation/2008/05'],
      ['authnmethodsreferences', 'http://schemas.microsoft.com/claims'],
    ]);
    assert.deepEqual(childElements(attributes[2]!, SAML11_NS, 'AttributeValue').map(textOf),
      ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password', HOSTILE]);
  });

  it('escapes hostile values so they stay data, and still verifies with xmlsec1', async () => {
    const hostile = (await buildSaml11Assertion(input(signer, {
      issuer: `http://x/"><script>&`,
      attributes: [{ name: 'UPN', namespace: `urn:"'<&>`, values: [HOSTILE, '<![CDATA[x]]>'] }],
    }))).xml;
    assert.doesNotMatch(hostile, /<script>|<!\[CDATA\[/);
    const root = rootElement(parseXml(hostile), SAML11_NS, 'Assertion');
    assert.equal(root.getAttribute('Issuer'), `http://x/"><script>&`);
    const attribute = onlyChild(onlyChild(root, SAML11_NS, 'AttributeStatement'), SAML11_NS, 'Attribute');
    assert.equal(attribute.getAttribute('AttributeNamespace'), `urn:"'<&>`);
    assert.deepEqual(childElements(attribute, SAML11_NS, 'AttributeValue').map(textOf), [HOSTILE, '<![CDATA[x]]>']);
    const result = await xmlsecVerify(hostile, cert.certPem, ID);
    assert.ok(result.ok, result.output);
  });

  it('fails xmlsec1 verification when any attribute value or text is tampered with', async () => {
    const signedPart = xml.slice(0, xml.indexOf('<ds:Signature'));
    const attributeValues = [...signedPart.matchAll(/ (?!xmlns)[\w:]+="([^"]*)"/g)];
    const texts = [...signedPart.matchAll(/>([^<]+)</g)];
    assert.ok(attributeValues.length >= 12 && texts.length >= 8);
    for (const m of [...attributeValues, ...texts]) {
      const at = m.index! + m[0].indexOf(m[1]!) + 1;
      const tampered = xml.slice(0, at) + 'X' + xml.slice(at);
      const result = await xmlsecVerify(tampered, cert.certPem, ID);
      assert.equal(result.ok, false, `tampering ${m[0]} went unnoticed`);
    }
  });

  it('defaults the AssertionID to _ + a UUID', async () => {
    const assertion = await buildSaml11Assertion(input(signer, { assertionId: undefined }));
    assert.match(assertion.assertionId, /^_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(assertion.xml.includes(`AssertionID="${assertion.assertionId}"`));
    assert.ok(assertion.xml.includes(`URI="#${assertion.assertionId}"`));
  });

  it('refuses an AttributeStatement without attributes or an attribute without values', async () => {
    await assert.rejects(buildSaml11Assertion(input(signer, { attributes: [] })), TypeError);
    await assert.rejects(buildSaml11Assertion(input(signer, { attributes: [{ name: 'UPN', namespace: 'x', values: [] }] })), TypeError);
  });
});
