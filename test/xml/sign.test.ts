import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { softwareSigner, type SignatureAlgorithm, type Signer } from '../../keys/signer.js';
import { signEnveloped } from '../../xml/sign.js';
import { verifyEnveloped } from '../../xml/verify.js';
import { namespace, qname, XML_NS, XmlWriteError, XmlWriter } from '../../xml/writer.js';
import { makeTestCert, type TestCert } from '../support/pki.js';
import { xmlsecVerify } from './xmlsec1.js';

const P = namespace('samlp', 'urn:oasis:names:tc:SAML:2.0:protocol');
const A = namespace('saml', 'urn:oasis:names:tc:SAML:2.0:assertion');
const ID = { attr: 'ID', ns: P.uri, element: 'LogoutRequest' };
const HOSTILE = `<b>"it's" & ]]></b>\t\r\n é 𝄞`;

/** A SAML 2.0-shaped message: the signature goes after Issuer (ENTRA.md §3.4), not last. */
function message(id = '_m1', value = 'alice@corp.example.com') {
  return new XmlWriter()
    .start(P, 'LogoutRequest', { ID: id, Version: '2.0', IssueInstant: '2025-01-01T00:00:00.000Z' })
    .leaf(A, 'Issuer', 'https://sts.corp.example.com/adfs/services/trust')
    .signatureHere()
    .leaf(A, 'NameID', value, { Format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' })
    .end()
    .finish();
}

describe('signEnveloped', () => {
  let cert: TestCert;
  let other: TestCert;
  let signer: Signer;
  before(async () => {
    [cert, other] = await Promise.all([makeTestCert(), makeTestCert('Someone Else')]);
    signer = softwareSigner(cert.key, cert.certDer, cert.thumbprint);
  });

  for (const algorithm of ['rsa-sha256', 'rsa-sha384', 'rsa-sha512', 'rsa-sha1'] as SignatureAlgorithm[]) {
    it(`produces a signature xmlsec1 and xml-crypto accept with ${algorithm}`, async () => {
      const signed = await signEnveloped(message(), { signer, algorithm, idAttribute: 'ID' });
      const xmlsec = await xmlsecVerify(signed.xml, cert.certPem, ID);
      assert.ok(xmlsec.ok, xmlsec.output);
      const verified = verifyEnveloped(signed.xml, {
        expect: { ns: P.uri, name: 'LogoutRequest' }, keys: [cert.certPem], allowSha1: algorithm === 'rsa-sha1',
      });
      assert.equal(verified.algorithm, algorithm);
    });
  }

  it('puts the Signature where the writer marked it', async () => {
    const signed = await signEnveloped(message(), { signer, idAttribute: 'ID' });
    assert.match(signed.xml, /<\/saml:Issuer><ds:Signature xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#"><ds:SignedInfo>/);
    assert.match(signed.xml, /<\/ds:Signature><saml:NameID /);
  });

  it('writes the signed document, Signature included, in exclusive-c14n form', async () => {
    const signed = await signEnveloped(message(), { signer, idAttribute: 'ID' });
    const doc = new DOMParser().parseFromString(signed.xml, 'application/xml');
    assert.equal(new ExclusiveCanonicalization().process(doc.documentElement as never, {}), signed.xml);
  });

  it('digests the canonical text, so a document with extra QName declarations verifies with xmlsec1 and xml-crypto', async () => {
    const XSI = namespace('xsi', 'http://www.w3.org/2001/XMLSchema-instance');
    const T = namespace('t', 'urn:types');
    const doc = new XmlWriter()
      .start(P, 'LogoutRequest', { ID: '_q1' }, [], { declare: [T] })
      .leaf(A, 'Issuer', 'https://sts.corp.example.com/adfs/services/trust')
      .signatureHere()
      .leaf(A, 'NameID', qname(T, 'Value'), {}, [{ ns: XSI, name: 'type', value: qname(T, 'Type') }], { declare: [T] })
      .end()
      .finish();
    assert.notEqual(doc.xml, doc.canonical);
    const signed = await signEnveloped(doc, { signer, idAttribute: 'ID' });
    assert.match(signed.xml, /^<samlp:LogoutRequest xmlns:samlp="[^"]+" xmlns:t="urn:types" ID="_q1">/);
    const xmlsec = await xmlsecVerify(signed.xml, cert.certPem, ID);
    assert.ok(xmlsec.ok, xmlsec.output);
    verifyEnveloped(signed.xml, { expect: { ns: P.uri, name: 'LogoutRequest' }, keys: [cert.certPem] });
    const parsed = new DOMParser().parseFromString(signed.xml, 'application/xml');
    assert.equal(new ExclusiveCanonicalization().process(parsed.documentElement as never, {}), signed.canonical);
    // Exclusive c14n without an InclusiveNamespaces PrefixList (as AD FS signs) leaves the extra
    // declaration outside what is signed: removing it leaves the signature valid...
    const stripped = signed.xml.replace(' xmlns:t="urn:types"', '');
    assert.ok((await xmlsecVerify(stripped, cert.certPem, ID)).ok);
    // ...but the QNames it resolves are in signed text values.
    assert.equal((await xmlsecVerify(signed.xml.replace('t:Value', 't:Other'), cert.certPem, ID)).ok, false);
  });

  it('signs the canonical SignedInfo, with its own ds declaration, once', async () => {
    const seen: Buffer[] = [];
    const spy: Signer = { ...signer, sign: async (alg, data) => (seen.push(data), signer.sign(alg, data)) };
    const signed = await signEnveloped(message(), { signer: spy, idAttribute: 'ID' });
    assert.equal(seen.length, 1);
    const signedInfo = seen[0]!.toString('utf8');
    assert.match(signedInfo, /^<ds:SignedInfo xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#"><ds:CanonicalizationMethod/);
    assert.ok(signed.xml.includes(signedInfo.replace(' xmlns:ds="http://www.w3.org/2000/09/xmldsig#"', '')));
  });

  it('is refused by xmlsec1 with any other certificate (the key is not taken from KeyInfo)', async () => {
    const signed = await signEnveloped(message(), { signer, idAttribute: 'ID' });
    assert.equal((await xmlsecVerify(signed.xml, other.certPem, ID)).ok, false);
  });

  it('is refused by xmlsec1 once a signed value changes', async () => {
    const signed = await signEnveloped(message(), { signer, idAttribute: 'ID' });
    const tampered = signed.xml.replace('alice@corp.example.com', 'admin@corp.example.com');
    assert.notEqual(tampered, signed.xml);
    assert.equal((await xmlsecVerify(tampered, cert.certPem, ID)).ok, false);
  });

  it('verifies with xmlsec1 on every writer shape, so libxml2 canonicalises our bytes to themselves', async () => {
    const D = namespace('', 'urn:default');
    const shapes = [
      new XmlWriter().start(D, 'Root', { ID: '_s1', z: HOSTILE, a: '' }, [{ ns: namespace('xml', XML_NS), name: 'lang', value: 'en' }])
        .leaf(D, 'Text', HOSTILE).start(A, 'Prefixed').leaf(D, 'Back', '').leaf(namespace('', 'urn:d2'), 'Other', '').end()
        .signatureHere().end().finish(),
      new XmlWriter().start(namespace('p', 'urn:default'), 'Root', { ID: '_s1' }, [
        { ns: namespace('y', 'urn:bbb'), name: 'b', value: '1' }, { ns: namespace('z', 'urn:aaa'), name: 'a', value: '2' }])
        .start(namespace('p', 'urn:other'), 'Rebound').leaf(namespace('y', 'urn:bbb'), 'Y', HOSTILE).end()
        .signatureHere().end().finish(),
    ];
    for (const shape of shapes) {
      const signed = await signEnveloped(shape, { signer, idAttribute: 'ID' });
      const result = await xmlsecVerify(signed.xml, cert.certPem, { attr: 'ID', ns: 'urn:default', element: 'Root' });
      assert.ok(result.ok, `${result.output}\n${signed.xml}`);
    }
  });

  it('refuses a document without a signature slot or without a usable ID', async () => {
    const noSlot = new XmlWriter().start(P, 'LogoutRequest', { ID: '_x' }).end().finish();
    await assert.rejects(signEnveloped(noSlot, { signer, idAttribute: 'ID' }), XmlWriteError);
    await assert.rejects(signEnveloped(message('1starts-with-digit'), { signer, idAttribute: 'ID' }), XmlWriteError);
    await assert.rejects(signEnveloped(message(), { signer, idAttribute: 'AssertionID' }), XmlWriteError);
  });
});
