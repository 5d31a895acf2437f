import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { softwareSigner } from '../../keys/signer.js';
import { buildSaml11Assertion, SAML11_NS, type Saml11Assertion } from '../../sts/tokens/saml11-assertion.js';
import { SAML11_TOKEN_TYPE, TRUST_13, TRUST_2005, writeRstr, wsfedRstr } from '../../sts/protocols/wstrust/rstr.js';
import { elementChildren, onlyChild, parseXml, rootElement, textOf } from '../../xml/parse.js';
import { namespace, XmlWriter } from '../../xml/writer.js';
import { makeTestCert } from '../support/pki.js';

const T2005 = 'http://schemas.xmlsoap.org/ws/2005/02/trust';
const T13 = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const WSP = 'http://schemas.xmlsoap.org/ws/2004/09/policy';
const WSA = 'http://www.w3.org/2005/08/addressing';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';

describe('WS-Fed RSTR (ENTRA.md §2.3)', () => {
  let assertion: Saml11Assertion;
  before(async () => {
    const cert = await makeTestCert();
    const now = new Date('2025-03-04T05:06:07.089Z');
    assertion = await buildSaml11Assertion({
      issuer: 'http://corp.example.com/adfs/services/trust/',
      audience: 'urn:federation:MicrosoftOnline',
      issueInstant: now,
      notBefore: now,
      notOnOrAfter: new Date(now.getTime() + 3_600_000),
      subject: { nameId: 'RDMiEWZViHeZqrvM3e7/AA==', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' },
      attributes: [{ name: 'UPN', namespace: 'http://schemas.xmlsoap.org/claims', values: ['alice@corp.example.com'] }],
      authentication: { method: 'urn:oasis:names:tc:SAML:1.0:am:password', instant: now },
      signer: softwareSigner(cert.key, cert.certDer, cert.thumbprint),
    });
  });

  it('is a bare 2005/02 RequestSecurityTokenResponse with the children in AD FS order', () => {
    const root = rootElement(parseXml(wsfedRstr(assertion, 'urn:federation:MicrosoftOnline')), T2005, 'RequestSecurityTokenResponse');
    assert.deepEqual(elementChildren(root).map((e) => `${e.namespaceURI} ${e.localName}`), [
      `${T2005} Lifetime`, `${WSP} AppliesTo`, `${T2005} RequestedSecurityToken`, `${T2005} TokenType`, `${T2005} RequestType`, `${T2005} KeyType`,
    ]);
    assert.equal(textOf(onlyChild(root, T2005, 'TokenType')), 'urn:oasis:names:tc:SAML:1.0:assertion');
    assert.equal(textOf(onlyChild(root, T2005, 'RequestType')), 'http://schemas.xmlsoap.org/ws/2005/02/trust/Issue');
    assert.equal(textOf(onlyChild(root, T2005, 'KeyType')), 'http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey');
    const address = onlyChild(onlyChild(onlyChild(root, WSP, 'AppliesTo'), WSA, 'EndpointReference'), WSA, 'Address');
    assert.equal(textOf(address), 'urn:federation:MicrosoftOnline');
  });

  it('gives a Lifetime equal to the assertion Conditions', () => {
    const root = parseXml(wsfedRstr(assertion, 'urn:federation:MicrosoftOnline')).documentElement!;
    const lifetime = onlyChild(root, T2005, 'Lifetime');
    const conditions = onlyChild(parseXml(assertion.xml).documentElement!, SAML11_NS, 'Conditions');
    assert.equal(textOf(onlyChild(lifetime, WSU, 'Created')), conditions.getAttribute('NotBefore'));
    assert.equal(textOf(onlyChild(lifetime, WSU, 'Expires')), conditions.getAttribute('NotOnOrAfter'));
  });

  it('embeds the signed assertion byte for byte, as the only token, and signs nothing else (§2.9)', () => {
    const rstr = wsfedRstr(assertion, 'urn:federation:MicrosoftOnline');
    assert.ok(rstr.includes(`<t:RequestedSecurityToken>${assertion.xml}</t:RequestedSecurityToken>`));
    const token = onlyChild(parseXml(rstr).documentElement!, T2005, 'RequestedSecurityToken');
    assert.deepEqual(elementChildren(token).map((e) => e.localName), ['Assertion']);
    assert.equal(rstr.split('<ds:Signature ').length - 1, 1);
  });

  it('is exclusive-canonical as a whole', () => {
    const rstr = wsfedRstr(assertion, 'urn:federation:MicrosoftOnline');
    const doc = new DOMParser().parseFromString(rstr, 'application/xml');
    assert.equal(new ExclusiveCanonicalization().process(doc.documentElement as never, {}), rstr);
  });

  it('writes the WS-Trust 1.3 variant: Collection wrapper and token references (§6.3)', () => {
    const S = namespace('s', 'http://www.w3.org/2003/05/soap-envelope');
    const w = new XmlWriter().start(S, 'Body');
    writeRstr(w, { assertion, appliesTo: 'urn:federation:MicrosoftOnline', version: TRUST_13, collection: true, references: true });
    const body = parseXml(w.end().finish().xml).documentElement!;
    const rstr = onlyChild(onlyChild(body, T13, 'RequestSecurityTokenResponseCollection'), T13, 'RequestSecurityTokenResponse');
    assert.deepEqual(elementChildren(rstr).map((e) => e.localName), [
      'Lifetime', 'AppliesTo', 'RequestedSecurityToken', 'RequestedAttachedReference', 'RequestedUnattachedReference', 'TokenType', 'RequestType', 'KeyType',
    ]);
    for (const name of ['RequestedAttachedReference', 'RequestedUnattachedReference']) {
      const keyId = onlyChild(onlyChild(onlyChild(rstr, T13, name), WSSE, 'SecurityTokenReference'), WSSE, 'KeyIdentifier');
      assert.equal(textOf(keyId), assertion.assertionId);
      assert.equal(keyId.getAttribute('ValueType'), 'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID');
    }
    assert.equal(textOf(onlyChild(rstr, T13, 'TokenType')), SAML11_TOKEN_TYPE);
    assert.equal(textOf(onlyChild(rstr, T13, 'RequestType')), 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue');
    assert.equal(textOf(onlyChild(rstr, T13, 'KeyType')), 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer');
  });

  it('writes the WS-Trust 2005 variant without a Collection', () => {
    const w = new XmlWriter();
    writeRstr(w, { assertion, appliesTo: 'urn:federation:MicrosoftOnline', version: TRUST_2005, collection: false, references: true });
    const root = rootElement(parseXml(w.finish().xml), T2005, 'RequestSecurityTokenResponse');
    assert.equal(elementChildren(root).length, 8);
  });
});
