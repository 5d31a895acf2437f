import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import { makeTestCert, type TestCert } from '../support/pki.js';
import type { RunningTestGatehouse } from '../support/gatehouse.js';
import { readForm } from '../support/web-client.js';
import { xmlsecVerify } from '../xml/xmlsec1.js';
import { ALICE, decodeXml, logInFrom, newClient, SAMLP, spTrust, startSamlGatehouse, xmlsecAssertion, xmlsecResponse } from './helpers.js';

const SIGNED = 'https://signed.node-saml.test';
const ENCRYPTED = 'https://encrypted.node-saml.test';
const POST_SP = 'https://post.node-saml.test';
const RESPONSE_ONLY = 'https://response-only.node-saml.test';
const RESPONSE_LOCATION = 'https://response-location.node-saml.test';

let gh: RunningTestGatehouse;
let spKey: TestCert;
let idpCertPem: string;

/** node-saml as the SP that the trust at `base` describes: it signs its requests with spKey and judges our answers. */
function sp(base: string, o: Partial<SamlConfig> = {}): SAML {
  return new SAML({
    issuer: base,
    callbackUrl: `${base}/acs`,
    entryPoint: `${gh.url}/adfs/ls/`,
    logoutUrl: `${gh.url}/adfs/ls/`,
    idpCert: idpCertPem,
    idpIssuer: `http://localhost/adfs/services/trust`,
    privateKey: spKey.keyPem,
    signatureAlgorithm: 'sha256',
    // node-saml digests with SHA-1 by default; these trusts do not opt in to SHA-1.
    digestAlgorithm: 'sha256',
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    ...o,
  });
}

describe('node-saml as a SAML 2.0 SP of Gatehouse', () => {
  before(async () => {
    spKey = await makeTestCert('node-saml SP');
    gh = await startSamlGatehouse([
      spTrust(SIGNED, SIGNED, { signingCertificates: [spKey.certPem], requireSignedRequests: true, sign: 'both', allowIdpInitiated: true }, 'node-saml signed'),
      spTrust(ENCRYPTED, ENCRYPTED, { signingCertificates: [spKey.certPem], sign: 'both', encryptionCertificate: spKey.certPem, dataEncryption: 'aes256-cbc', allowIdpInitiated: true }),
      spTrust(RESPONSE_ONLY, RESPONSE_ONLY, { sign: 'response' }),
      spTrust(POST_SP, POST_SP, { signingCertificates: [spKey.certPem], requireSignedRequests: true, sign: 'both', singleLogoutServices: [{ binding: 'post', location: `${POST_SP}/slo` }] }),
      spTrust(RESPONSE_LOCATION, RESPONSE_LOCATION, { signingCertificates: [spKey.certPem], requireSignedRequests: true, sign: 'both', singleLogoutServices: [{ binding: 'redirect', location: `${RESPONSE_LOCATION}/slo`, responseLocation: `${RESPONSE_LOCATION}/slo/done` }] }),
    ]);
    idpCertPem = (await gh.signingCertificate()).pem;
  });
  after(() => gh.stop());

  it('signs alice in over HTTP-Redirect with a signed request; node-saml accepts the signed Response and xmlsec1 verifies both signatures', async () => {
    const client = newClient(gh);
    const saml = sp(SIGNED);
    const url = await saml.getAuthorizeUrlAsync('rs-redirect', undefined, {});
    const form = await logInFrom(client, gh, await client.get(url));
    assert.equal(form.action, `${SIGNED}/acs`);
    assert.equal(form.fields.RelayState, 'rs-redirect');
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    assert.equal(profile?.nameID, ALICE.immutableId);
    assert.equal(profile?.nameIDFormat, 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    const xml = decodeXml(form.fields.SAMLResponse!);
    const r = await xmlsecResponse(xml, idpCertPem);
    assert.ok(r.ok, r.output);
    const a = await xmlsecAssertion(xml, idpCertPem);
    assert.ok(a.ok, a.output);
  });

  it('signs only the Response when the trust says so (sign: response); node-saml and xmlsec1 accept it', async () => {
    const client = newClient(gh);
    const saml = sp(RESPONSE_ONLY, { privateKey: undefined, wantAssertionsSigned: false });
    const form = await logInFrom(client, gh, await client.get(await saml.getAuthorizeUrlAsync('', undefined, {})));
    const xml = decodeXml(form.fields.SAMLResponse!);
    assert.equal(xml.match(/<ds:Signature /g)?.length, 1);
    assert.ok(xml.indexOf('<ds:Signature ') < xml.indexOf('<saml:Assertion '), 'the one signature is the Response’s');
    const r = await xmlsecResponse(xml, idpCertPem);
    assert.ok(r.ok, r.output);
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    assert.equal(profile?.nameID, ALICE.immutableId);
  });

  it('signs alice in over HTTP-POST with an enveloped-signed request', async () => {
    const client = newClient(gh);
    const saml = sp(POST_SP, { authnRequestBinding: 'HTTP-POST' });
    const html = await saml.getAuthorizeFormAsync('rs-post');
    const request = readForm(html);
    const form = await logInFrom(client, gh, await client.post(request.action, request.fields));
    assert.equal(form.fields.RelayState, 'rs-post');
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    assert.equal(profile?.nameID, ALICE.immutableId);
  });

  it('encrypts the assertion to the SP’s certificate (AES-256-CBC, RSA-OAEP); node-saml decrypts and verifies it', async () => {
    const client = newClient(gh);
    const saml = sp(ENCRYPTED, { decryptionPvk: spKey.keyPem });
    const form = await logInFrom(client, gh, await client.get(await saml.getAuthorizeUrlAsync('', undefined, {})));
    const xml = decodeXml(form.fields.SAMLResponse!);
    assert.match(xml, /<saml:EncryptedAssertion/);
    assert.doesNotMatch(xml, /<saml:Assertion/);
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    assert.equal(profile?.nameID, ALICE.immutableId);
    // The token is audited as issued (README "Audit log" 8010).
    const [issued] = await gh.runtime.store.audit.recent(1, { type: 'token.issued' });
    assert.deepEqual([issued?.user, issued?.relyingParty, issued?.details?.protocol, issued?.details?.encrypted], [ALICE.upn, ENCRYPTED, 'saml2', true]);
  });

  it('answers IdP-initiated sign-on (loginToRp=) with an unsolicited Response node-saml accepts', async () => {
    const client = newClient(gh);
    const list = await (await client.get(`${gh.url}/adfs/ls/idpinitiatedsignon`)).text();
    assert.match(list, /node-saml signed/);
    assert.doesNotMatch(list, /post\.node-saml\.test/);
    const form = await logInFrom(client, gh, await client.get(`${gh.url}/adfs/ls/idpinitiatedsignon?loginToRp=${encodeURIComponent(SIGNED)}`));
    const xml = decodeXml(form.fields.SAMLResponse!);
    assert.doesNotMatch(xml, /InResponseTo/);
    const { profile } = await sp(SIGNED).validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    // No NameIDPolicy: the trust's format, unspecified = the UPN for a mapped trust.
    assert.equal(profile?.nameID, ALICE.upn);
  });

  it('logs out SP-initiated over HTTP-Redirect: the LogoutResponse is signed, Success, and the session is over', async () => {
    const client = newClient(gh);
    const saml = sp(SIGNED);
    const form = await logInFrom(client, gh, await client.get(await saml.getAuthorizeUrlAsync('', undefined, {})));
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    const logoutUrl = await saml.getLogoutUrlAsync(profile!, 'rs-logout', {});
    const res = await client.get(logoutUrl);
    assert.equal(res.status, 302, await res.text());
    const back = new URL(res.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, `${SIGNED}/slo`);
    const originalQuery = back.search.slice(1);
    const result = await saml.validateRedirectAsync(Object.fromEntries(back.searchParams), originalQuery);
    assert.equal(result.loggedOut, true);
    assert.equal(back.searchParams.get('RelayState'), 'rs-logout');
    // The SSO session is gone: a new sign-in asks for the password again.
    const again = await client.get(await saml.getAuthorizeUrlAsync('', undefined, {}));
    assert.match(await again.text(), /name="Password"/);
  });

  it('sends the LogoutResponse to the SLO endpoint’s ResponseLocation when it has one (Metadata §2.2.2), addressed to it', async () => {
    const client = newClient(gh);
    const saml = sp(RESPONSE_LOCATION);
    const form = await logInFrom(client, gh, await client.get(await saml.getAuthorizeUrlAsync('', undefined, {})));
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    const res = await client.get(await saml.getLogoutUrlAsync(profile!, 'rs-done', {}));
    assert.equal(res.status, 302, await res.text());
    const back = new URL(res.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, `${RESPONSE_LOCATION}/slo/done`);
    const xml = inflateRawSync(Buffer.from(back.searchParams.get('SAMLResponse')!, 'base64')).toString('utf8');
    assert.match(xml, new RegExp(`Destination="${RESPONSE_LOCATION}/slo/done"`));
    const result = await saml.validateRedirectAsync(Object.fromEntries(back.searchParams), back.search.slice(1));
    assert.equal(result.loggedOut, true);
  });

  it('logs out IdP-initiated (wsignout1.0): each SAML participant gets a LogoutRequest in turn, over its binding', async () => {
    const client = newClient(gh);
    const redirectSp = sp(SIGNED);
    const postSp = sp(POST_SP, { authnRequestBinding: 'HTTP-POST' });
    const first = await logInFrom(client, gh, await client.get(await redirectSp.getAuthorizeUrlAsync('', undefined, {})));
    await redirectSp.validatePostResponseAsync({ SAMLResponse: first.fields.SAMLResponse! });
    const request = readForm(await postSp.getAuthorizeFormAsync(''));
    const second = readForm(await (await client.post(request.action, request.fields)).text());
    await postSp.validatePostResponseAsync({ SAMLResponse: second.fields.SAMLResponse! });

    let hop = await client.get(`${gh.url}/adfs/ls/?wa=wsignout1.0`);
    // First participant: HTTP-Redirect.
    assert.equal(hop.status, 302);
    const toRedirectSp = new URL(hop.headers.get('location')!);
    const logoutRequest = await redirectSp.validateRedirectAsync(Object.fromEntries(toRedirectSp.searchParams), toRedirectSp.search.slice(1));
    assert.equal(logoutRequest.loggedOut, true);
    hop = await client.get(await redirectSp.getLogoutResponseUrlAsync(logoutRequest.profile!, '', {}, true));
    // Second participant: HTTP-POST.
    const toPostSp = readForm(await hop.text());
    assert.equal(toPostSp.action, `${POST_SP}/slo`);
    const logoutXml = decodeXml(toPostSp.fields.SAMLRequest!);
    const verified = await xmlsecVerify(logoutXml, idpCertPem, { attr: 'ID', ns: SAMLP, element: 'LogoutRequest' });
    assert.ok(verified.ok, verified.output);
    const posted = await postSp.validatePostRequestAsync({ SAMLRequest: toPostSp.fields.SAMLRequest! });
    assert.equal(posted.loggedOut, true);
    const answerUrl = new URL(await postSp.getLogoutResponseUrlAsync(posted.profile!, '', {}, true));
    hop = await client.get(answerUrl.href);
    const page = await hop.text();
    assert.equal(hop.status, 200, page);
    assert.match(page, /You have signed out\./);
  });
});
