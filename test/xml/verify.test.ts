import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { softwareSigner, type SignatureAlgorithm, type Signer } from '../../keys/signer.js';
import { onlyChild, textOf, XmlRejected } from '../../xml/parse.js';
import { signEnveloped } from '../../xml/sign.js';
import { SignatureRejected, verifyEnveloped, type SignatureRejectReason, type VerifyOptions } from '../../xml/verify.js';
import { namespace, XmlWriter } from '../../xml/writer.js';
import { EVIL_NAME_ID, GENUINE_NAME_ID } from '../fixtures/xml-attacks/generate.js';
import { makeTestCert, type TestCert } from '../support/pki.js';

const FIXTURES = new URL('../fixtures/xml-attacks/', import.meta.url);
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const expect = { ns: PROTOCOL, name: 'LogoutRequest' };

const rejectedWith = (fn: () => unknown, reason: SignatureRejectReason): void => {
  assert.throws(fn, (e: unknown) => e instanceof SignatureRejected && e.reason === reason, `expected ${reason}`);
};
const nameIdOf = (root: Parameters<typeof onlyChild>[0]): string => textOf(onlyChild(root, ASSERTION, 'NameID'));

describe('verifyEnveloped against the attack fixtures', () => {
  const files = new Map<string, string>();
  let options: VerifyOptions;
  before(async () => {
    for (const name of await readdir(FIXTURES)) files.set(name, await readFile(new URL(name, FIXTURES), 'utf8'));
    options = { expect, keys: [createPublicKey(files.get('trusted.pem')!)] };
  });
  const xml = (name: string): string => files.get(`${name}.xml`)!;

  it('accepts the genuine message and returns only the signed element', () => {
    const verified = verifyEnveloped(xml('genuine'), options);
    assert.equal(nameIdOf(verified.root), GENUINE_NAME_ID);
    assert.equal(verified.document.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').length, 0);
    assert.equal(verified.algorithm, 'rsa-sha256');
  });

  // Each wrapping attack must be refused, or yield only what the signature covers.
  const wrapping: Record<string, SignatureRejectReason> = {
    xsw1: 'id',
    xsw2: 'id',
    xsw3: 'signature-placement',
    xsw4: 'signature-placement',
    'xsw4-other-id': 'signature-placement',
    xsw5: 'id',
    xsw6: 'signature-count',
    xsw7: 'signature-placement',
    xsw8: 'id',
  };
  for (const [name, reason] of Object.entries(wrapping)) {
    it(`never yields the attacker's content and rejects ${name} (${reason})`, () => {
      assert.ok(xml(name).includes(EVIL_NAME_ID), 'the fixture carries the attack');
      let nameId: string | undefined;
      try {
        nameId = nameIdOf(verifyEnveloped(xml(name), options).root);
      } catch (err) {
        assert.ok(err instanceof SignatureRejected || err instanceof XmlRejected, String(err));
      }
      assert.ok(nameId === undefined || nameId === GENUINE_NAME_ID);
      rejectedWith(() => verifyEnveloped(xml(name), options), reason);
    });
  }

  it('reads a NameID split by a comment as the whole signed value', () => {
    const verified = verifyEnveloped(xml('comment-in-nameid'), options);
    assert.equal(nameIdOf(verified.root), GENUINE_NAME_ID);
    assert.doesNotMatch(verified.canonical, /<!--/);
  });

  it('rejects a second Signature anywhere in the document', () => {
    rejectedWith(() => verifyEnveloped(xml('second-signature'), options), 'signature-count');
  });

  it('ignores a certificate swapped into KeyInfo and verifies with the configured key', () => {
    assert.ok(xml('attacker-keyinfo').includes(files.get('attacker.pem')!.split('\n')[1]!.slice(0, 40)));
    assert.equal(nameIdOf(verifyEnveloped(xml('attacker-keyinfo'), options).root), GENUINE_NAME_ID);
  });

  it('rejects a message signed by the key in its own KeyInfo', () => {
    rejectedWith(() => verifyEnveloped(xml('resigned-by-attacker'), options), 'invalid');
  });

  it('accepts the next configured key and says which one verified', () => {
    const keys = [files.get('attacker.pem')!, files.get('trusted.pem')!];
    assert.equal(verifyEnveloped(xml('genuine'), { expect, keys }).keyIndex, 1);
  });
});

describe('verifyEnveloped policy', () => {
  const P = namespace('samlp', PROTOCOL);
  const A = namespace('saml', ASSERTION);
  let cert: TestCert;
  let signer: Signer;
  let options: VerifyOptions;
  before(async () => {
    cert = await makeTestCert();
    signer = softwareSigner(cert.key, cert.certDer, cert.thumbprint);
    options = { expect, keys: [createPublicKey(cert.certPem)] };
  });
  const signed = async (algorithm: SignatureAlgorithm = 'rsa-sha256'): Promise<string> => {
    const w = new XmlWriter()
      .start(P, 'LogoutRequest', { ID: '_m1', Version: '2.0' })
      .leaf(A, 'Issuer', 'https://sp.example.com')
      .signatureHere()
      .leaf(A, 'NameID', 'alice@corp.example.com')
      .end();
    return (await signEnveloped(w.finish(), { signer, algorithm, idAttribute: 'ID' })).xml;
  };

  it('refuses RSA-SHA1 unless the trust opted in', async () => {
    const xml = await signed('rsa-sha1');
    rejectedWith(() => verifyEnveloped(xml, options), 'algorithm');
    assert.equal(verifyEnveloped(xml, { ...options, allowSha1: true }).algorithm, 'rsa-sha1');
  });

  it('accepts RSA-SHA384 and RSA-SHA512', async () => {
    assert.equal(verifyEnveloped(await signed('rsa-sha384'), options).algorithm, 'rsa-sha384');
    assert.equal(verifyEnveloped(await signed('rsa-sha512'), options).algorithm, 'rsa-sha512');
  });

  it('refuses an unsigned message', () => {
    rejectedWith(() => verifyEnveloped(`<samlp:LogoutRequest xmlns:samlp="${PROTOCOL}" ID="_m1"/>`, options), 'no-signature');
  });

  it('refuses content changed after signing', async () => {
    const xml = await signed();
    rejectedWith(() => verifyEnveloped(xml.replace('alice@', 'admin@'), options), 'invalid');
  });

  it('refuses a Reference that does not point at the root', async () => {
    const xml = await signed();
    rejectedWith(() => verifyEnveloped(xml.replace('URI="#_m1"', 'URI="#_other"'), options), 'reference');
    rejectedWith(() => verifyEnveloped(xml.replace('URI="#_m1"', 'URI=""'), options), 'reference');
  });

  it('refuses transforms and algorithms outside the allow-list', async () => {
    const xml = await signed();
    rejectedWith(() => verifyEnveloped(xml.replace(/(<ds:Transform Algorithm=")http:\/\/www\.w3\.org\/2001\/10\/xml-exc-c14n#/, '$1http://www.w3.org/TR/2001/REC-xml-c14n-20010315'), options), 'transforms');
    rejectedWith(() => verifyEnveloped(xml.replace('<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform>', ''), options), 'transforms');
    rejectedWith(() => verifyEnveloped(xml.replace('xmldsig-more#rsa-sha256', 'xmldsig-more#hmac-sha256'), options), 'algorithm');
    rejectedWith(() => verifyEnveloped(xml.replace('xmlenc#sha256', 'xmldsig#sha1'), options), 'algorithm');
  });

  it('refuses a document whose root is not the expected element', async () => {
    const xml = await signed();
    assert.throws(() => verifyEnveloped(xml, { ...options, expect: { ns: PROTOCOL, name: 'AuthnRequest' } }), XmlRejected);
  });

  it('parses through the hardened parser first (DOCTYPE, size)', async () => {
    const xml = await signed();
    assert.throws(() => verifyEnveloped(`<!DOCTYPE x>${xml}`, options), (e: unknown) => e instanceof XmlRejected && e.reason === 'doctype');
    assert.throws(() => verifyEnveloped(xml, { ...options, maxBytes: 100 }), (e: unknown) => e instanceof XmlRejected && e.reason === 'too-large');
  });
});
