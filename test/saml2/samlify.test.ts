import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as samlify from 'samlify';
import type { PostBindingContext } from 'samlify/types/src/types.js';
import { makeTestCert, type TestCert } from '../support/pki.js';
import type { RunningTestGatehouse } from '../support/gatehouse.js';
import { ALICE, decodeXml, logInFrom, newClient, spTrust, startSamlGatehouse, xmlsecAssertion } from './helpers.js';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const SIGNED = 'https://signed.samlify.test';
const ENCRYPTED = 'https://encrypted.samlify.test';

let gh: RunningTestGatehouse;
let spKey: TestCert;
let idpCertPem: string;
let idp: ReturnType<typeof samlify.IdentityProvider>;

// samlify asks for an XSD validator; the schema is not what these tests judge (signatures, values and flow are).
samlify.setSchemaValidator({ validate: async () => 'skipped' });

function sp(base: string, o: Record<string, unknown> = {}) {
  return samlify.ServiceProvider({
    entityID: base,
    authnRequestsSigned: true,
    wantAssertionsSigned: true,
    wantMessageSigned: true,
    wantLogoutResponseSigned: true,
    wantLogoutRequestSigned: true,
    privateKey: spKey.keyPem,
    signingCert: spKey.certPem,
    requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    assertionConsumerService: [{ Binding: POST, Location: `${base}/acs` }],
    singleLogoutService: [{ Binding: REDIRECT, Location: `${base}/slo` }],
    nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
    ...o,
  });
}

describe('samlify as a SAML 2.0 SP of Gatehouse', () => {
  before(async () => {
    spKey = await makeTestCert('samlify SP');
    gh = await startSamlGatehouse([
      spTrust(SIGNED, SIGNED, { signingCertificates: [spKey.certPem], requireSignedRequests: true, sign: 'both', allowIdpInitiated: true }),
      spTrust(ENCRYPTED, ENCRYPTED, { signingCertificates: [spKey.certPem], sign: 'assertion', encryptionCertificate: spKey.certPem, dataEncryption: 'aes256-gcm' }),
    ]);
    idpCertPem = (await gh.signingCertificate()).pem;
    idp = idpSettings(false);
  });
  after(() => gh.stop());

  /** Configured by hand, not from our metadata: samlify reads WantAuthnRequestsSigned only from there. */
  const idpSettings = (isAssertionEncrypted: boolean) =>
    samlify.IdentityProvider({
      isAssertionEncrypted,
      entityID: 'http://localhost/adfs/services/trust',
      signingCert: idpCertPem,
      wantAuthnRequestsSigned: true,
      wantLogoutRequestSigned: true,
      wantLogoutResponseSigned: true,
      singleSignOnService: [{ Binding: REDIRECT, Location: `${gh.url}/adfs/ls/` }, { Binding: POST, Location: `${gh.url}/adfs/ls/` }],
      singleLogoutService: [{ Binding: REDIRECT, Location: `${gh.url}/adfs/ls/` }, { Binding: POST, Location: `${gh.url}/adfs/ls/` }],
    });

  it('signs alice in over HTTP-Redirect; samlify accepts the signed Response', async () => {
    const client = newClient(gh);
    const s = sp(SIGNED);
    const { context } = s.createLoginRequest(idp, 'redirect');
    const form = await logInFrom(client, gh, await client.get(context));
    const { extract } = await s.parseLoginResponse(idp, 'post', { body: { SAMLResponse: form.fields.SAMLResponse } });
    assert.equal(extract.nameID, ALICE.immutableId);
    assert.equal(extract.audience, SIGNED);
  });

  it('signs alice in over HTTP-POST', async () => {
    const client = newClient(gh);
    const s = sp(SIGNED);
    const ctx = sp(SIGNED, { signatureConfig: { prefix: 'ds', location: { reference: "/*[local-name(.)='AuthnRequest']/*[local-name(.)='Issuer']", action: 'after' } } })
      .createLoginRequest(idp, 'post') as PostBindingContext;
    const form = await logInFrom(client, gh, await client.post(ctx.entityEndpoint, { SAMLRequest: ctx.context, RelayState: 'rs-samlify' }));
    assert.equal(form.fields.RelayState, 'rs-samlify');
    const { extract } = await s.parseLoginResponse(idp, 'post', { body: { SAMLResponse: form.fields.SAMLResponse } });
    assert.equal(extract.nameID, ALICE.immutableId);
  });

  it('encrypts the signed assertion (assertion-only signing) with AES-256-GCM; samlify decrypts it; xmlsec1 --decrypt opens it with the SP’s key and verifies the assertion inside', async () => {
    const client = newClient(gh);
    const s = sp(ENCRYPTED, { encPrivateKey: spKey.keyPem, wantMessageSigned: false });
    const form = await logInFrom(client, gh, await client.get(s.createLoginRequest(idp, 'redirect').context));
    const xml = decodeXml(form.fields.SAMLResponse!);
    // samlify reads "assertions are encrypted" from the IdP's settings.
    const { extract } = await s.parseLoginResponse(idpSettings(true), 'post', { body: { SAMLResponse: form.fields.SAMLResponse } });
    assert.equal(extract.nameID, ALICE.immutableId);
    assert.doesNotMatch(xml.slice(0, xml.indexOf('<saml:EncryptedAssertion')), /<ds:Signature/, 'this trust signs the assertion only');
    const decrypted = await xmlsecDecrypt(xml, spKey.keyPem);
    assert.ok(decrypted.ok, decrypted.output);
    assert.match(decrypted.xml, /<saml:Assertion /);
    const assertion = await xmlsecAssertion(decrypted.xml, idpCertPem);
    assert.ok(assertion.ok, assertion.output);
  });

  it('answers IdP-initiated sign-on with an unsolicited Response samlify accepts', async () => {
    const client = newClient(gh);
    const form = await logInFrom(client, gh, await client.get(`${gh.url}/adfs/ls/idpinitiatedsignon.aspx?loginToRp=${encodeURIComponent(SIGNED)}&RelayState=deep-link`));
    assert.equal(form.fields.RelayState, 'deep-link');
    const { extract } = await sp(SIGNED).parseLoginResponse(idp, 'post', { body: { SAMLResponse: form.fields.SAMLResponse } });
    assert.equal(extract.nameID, ALICE.upn);
  });

  it('logs out SP-initiated over HTTP-Redirect; samlify accepts the signed LogoutResponse', async () => {
    const client = newClient(gh);
    const s = sp(SIGNED);
    const form = await logInFrom(client, gh, await client.get(s.createLoginRequest(idp, 'redirect').context));
    const { extract } = await s.parseLoginResponse(idp, 'post', { body: { SAMLResponse: form.fields.SAMLResponse } });
    const { context } = s.createLogoutRequest(idp, 'redirect', { logoutNameID: String(extract.nameID), sessionIndex: String(extract.sessionIndex?.sessionIndex) });
    const res = await client.get(context);
    assert.equal(res.status, 302, await res.text());
    const back = new URL(res.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, `${SIGNED}/slo`);
    const octetString = back.search.slice(1).split('&').filter((p) => !p.startsWith('Signature=')).join('&');
    const parsed = await s.parseLogoutResponse(idp, 'redirect', { query: Object.fromEntries(back.searchParams), octetString });
    assert.ok(parsed.extract.response?.inResponseTo, 'the LogoutResponse answers the LogoutRequest');
    assert.match(decodeRedirect(back.searchParams.get('SAMLResponse')!), /status:Success/);
  });

  it('logs out IdP-initiated: samlify accepts the signed LogoutRequest and its LogoutResponse ends the run', async () => {
    const client = newClient(gh);
    const s = sp(SIGNED);
    const form = await logInFrom(client, gh, await client.get(s.createLoginRequest(idp, 'redirect').context));
    const { extract } = await s.parseLoginResponse(idp, 'post', { body: { SAMLResponse: form.fields.SAMLResponse } });
    const res = await client.get(`${gh.url}/adfs/ls/?wa=wsignout1.0`);
    assert.equal(res.status, 302);
    const to = new URL(res.headers.get('location')!);
    const octetString = to.search.slice(1).split('&').filter((p) => !p.startsWith('Signature=')).join('&');
    const request = await s.parseLogoutRequest(idp, 'redirect', { query: Object.fromEntries(to.searchParams), octetString });
    assert.equal(request.extract.nameID, extract.nameID);
    assert.equal(request.extract.sessionIndex, extract.sessionIndex?.sessionIndex);
    const answer = s.createLogoutResponse(idp, { extract: request.extract }, 'redirect');
    const done = await client.get(answer.context);
    assert.match(await done.text(), /You have signed out\./);
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

function decodeRedirect(value: string): string {
  return inflateRawSync(Buffer.from(value, 'base64')).toString('utf8');
}

/** `xmlsec1 --decrypt` with the RP's private key only: an independent check of our EncryptedAssertion. */
async function xmlsecDecrypt(xml: string, keyPem: string): Promise<{ ok: boolean; xml: string; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-xmlsec-'));
  try {
    await writeFile(join(dir, 'in.xml'), xml);
    await writeFile(join(dir, 'key.pem'), keyPem);
    return await new Promise((resolve) => {
      execFile('/usr/bin/xmlsec1', ['--decrypt', '--privkey-pem', join(dir, 'key.pem'), join(dir, 'in.xml')], { timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ ok: err === null, xml: stdout, output: stderr });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
