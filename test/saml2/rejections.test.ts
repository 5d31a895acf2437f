import assert from 'node:assert/strict';
import { randomBytes, randomUUID, sign as rsaSign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import type { Response } from 'undici';
import { SignedXml } from 'xml-crypto';
import { xswVariants } from '../fixtures/saml-xsw/xsw.js';
import type { RunningTestGatehouse } from '../support/gatehouse.js';
import { makeTestCert, type TestCert } from '../support/pki.js';
import { readForm, WebClient } from '../support/web-client.js';
import { decodeXml, logInFrom, newClient, parse, SAMLP, spTrust, startSamlGatehouse, xmlsecResponse } from './helpers.js';

const STRICT = 'https://strict.sp.test';
const OPEN = 'https://open.sp.test';

let gh: RunningTestGatehouse;
let spKey: TestCert;
let attacker: TestCert;

function authnRequest(issuer: string, o: { id?: string; acs?: string; destination?: string; extra?: string; attrs?: string; issueInstant?: string } = {}): string {
  return `<samlp:AuthnRequest xmlns:samlp="${SAMLP}" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.id ?? `_${randomUUID()}`}" Version="2.0" IssueInstant="${o.issueInstant ?? new Date().toISOString()}"`
    + ` Destination="${o.destination ?? `${gh.url}/adfs/ls/`}"${o.acs ? ` AssertionConsumerServiceURL="${o.acs}"` : ''}${o.attrs ?? ''}>`
    + `<saml:Issuer>${issuer}</saml:Issuer>${o.extra ?? '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/>'}</samlp:AuthnRequest>`;
}

/** An enveloped signature after Issuer, made by xml-crypto (not our signer), RSA-SHA256. */
function signed(xml: string, key: TestCert): string {
  const sig = new SignedXml({ privateKey: key.keyPem, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
  sig.addReference({ xpath: '/*', transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
  sig.computeSignature(xml, { location: { reference: "/*/*[local-name()='Issuer']", action: 'after' } });
  return sig.getSignedXml();
}

/** HTTP-Redirect (Bindings §3.4.4.1), signed over the query with `key` when given. */
function redirect(xml: string | Buffer, key?: TestCert): string {
  const data = typeof xml === 'string' ? deflateRawSync(Buffer.from(xml)) : xml;
  let query = `SAMLRequest=${encodeURIComponent(data.toString('base64'))}&RelayState=rs`;
  if (key) {
    query += `&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`;
    query += `&Signature=${encodeURIComponent(rsaSign('sha256', Buffer.from(query), key.key).toString('base64'))}`;
  }
  return `${gh.url}/adfs/ls/?${query}`;
}

const post = (client: WebClient, xml: string) => client.post(`${gh.url}/adfs/ls/`, { SAMLRequest: Buffer.from(xml).toString('base64'), RelayState: 'rs' });

const rejections = async () => (await gh.runtime.store.audit.recent(100_000, { type: 'request.rejected' })).length;

/** The answer to `send` is an error page naming `reason`, and exactly one new rejection is in the audit log. */
async function refused(send: () => Promise<{ status: number; text(): Promise<string> }>, reason: string | RegExp): Promise<void> {
  const before = await rejections();
  const res = await send();
  const html = await res.text();
  assert.equal(await rejections(), before + 1, 'one audit event');
  assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${html}`);
  assert.doesNotMatch(html, /SAMLResponse/);
  const [event] = await gh.runtime.store.audit.recent(1, { type: 'request.rejected' });
  assert.match(event?.reason ?? '', typeof reason === 'string' ? new RegExp(`^${reason}$`) : reason);
  assert.match(html, new RegExp(`<code>${event!.reason}</code>`));
}

/** A SAML status Response posted to the ACS, with the given second-level code, and an audit event. */
async function status(send: () => Promise<{ status: number; text(): Promise<string> }>, subCode: string): Promise<void> {
  const before = await rejections();
  const res = await send();
  assert.equal(await rejections(), before + 1, 'one audit event');
  const form = readForm(await res.text());
  assert.equal(form.action, `${STRICT}/acs`);
  const xml = decodeXml(form.fields.SAMLResponse!);
  const signature = await xmlsecResponse(xml, (await gh.signingCertificate()).pem);
  assert.ok(signature.ok, `the refusal is signed: ${signature.output}`);
  const root = parse(xml);
  const codes = Array.from(root.getElementsByTagNameNS(SAMLP, 'StatusCode')).map((c) => c.getAttribute('Value'));
  assert.deepEqual(codes.slice(1), [`urn:oasis:names:tc:SAML:2.0:status:${subCode}`]);
  const [event] = await gh.runtime.store.audit.recent(1, { type: 'request.rejected' });
  assert.equal(event?.details?.status, `urn:oasis:names:tc:SAML:2.0:status:${subCode}`);
}

describe('SAML requests Gatehouse refuses, each with a page or a SAML status and an audit event', () => {
  before(async () => {
    spKey = await makeTestCert('strict SP');
    attacker = await makeTestCert('attacker');
    gh = await startSamlGatehouse([
      spTrust(STRICT, STRICT, {
        signingCertificates: [spKey.certPem],
        requireSignedRequests: true,
        assertionConsumerServices: [
          { binding: 'post', location: `${STRICT}/acs`, index: 0, isDefault: true },
          { binding: 'post', location: `${STRICT}/other-acs`, index: 1 },
        ],
      }),
      spTrust(OPEN, OPEN),
    ]);
  });
  after(() => gh.stop());

  it('accepts the genuine signed request the attacks below are made from (POST and Redirect)', async () => {
    const client = newClient(gh);
    const page = await post(client, signed(authnRequest(STRICT), spKey));
    assert.match(await page.text(), /name="Password"/);
    const page2 = await client.get(redirect(authnRequest(STRICT), spKey));
    assert.match(await page2.text(), /name="Password"/);
  });

  it('refuses an ACS URL that is not registered for the trust', async () => {
    await refused(() => newClient(gh).get(redirect(authnRequest(OPEN, { acs: 'https://evil.example/acs' }))), 'unregistered-reply');
    await refused(() => newClient(gh).get(redirect(authnRequest(OPEN, { attrs: ' AssertionConsumerServiceIndex="7"' }))), 'unregistered-reply');
  });

  it('refuses loginToRp= for a trust that does not allow IdP-initiated sign-on, and for an unknown one', async () => {
    await refused(() => newClient(gh).get(`${gh.url}/adfs/ls/idpinitiatedsignon?loginToRp=${encodeURIComponent(STRICT)}`), 'idp-initiated-not-allowed');
    await refused(() => newClient(gh).get(`${gh.url}/adfs/ls/idpinitiatedsignon?loginToRp=urn:nobody`), 'unknown-relying-party');
  });

  it('refuses an unsigned request where the trust requires signed ones', async () => {
    await refused(() => post(newClient(gh), authnRequest(STRICT)), 'saml-unsigned-request');
    await refused(() => newClient(gh).get(redirect(authnRequest(STRICT))), 'saml-unsigned-request');
  });

  it('refuses a request signed by another key (enveloped and Redirect)', async () => {
    await refused(() => post(newClient(gh), signed(authnRequest(STRICT), attacker)), /^saml-signature-/);
    await refused(() => newClient(gh).get(redirect(authnRequest(STRICT), attacker)), 'saml-signature-invalid');
  });

  it('refuses an unsigned LogoutRequest from a trust that requires signed requests', async () => {
    const logout = `<samlp:LogoutRequest xmlns:samlp="${SAMLP}" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomUUID()}" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>${STRICT}</saml:Issuer><saml:NameID>alice</saml:NameID></samlp:LogoutRequest>`;
    await refused(() => newClient(gh).get(redirect(logout)), 'saml-unsigned-request');
  });

  it('refuses an RSA-SHA1 signature from a trust that did not opt in to SHA-1', async () => {
    const xml = deflateRawSync(Buffer.from(authnRequest(STRICT)));
    let query = `SAMLRequest=${encodeURIComponent(xml.toString('base64'))}&SigAlg=${encodeURIComponent('http://www.w3.org/2000/09/xmldsig#rsa-sha1')}`;
    query += `&Signature=${encodeURIComponent(rsaSign('sha1', Buffer.from(query), spKey.key).toString('base64'))}`;
    await refused(() => newClient(gh).get(`${gh.url}/adfs/ls/?${query}`), 'saml-signature-algorithm');
  });

  it('refuses XSW variants 1–8 of a signed AuthnRequest', async () => {
    const variants = xswVariants(signed(authnRequest(STRICT), spKey), `${STRICT}/other-acs`);
    assert.equal(Object.keys(variants).length, 8);
    for (const [name, xml] of Object.entries(variants)) {
      // Each by the recipe (xml/verify.ts): placement, reference, count; never by an accident of parsing.
      await refused(() => post(newClient(gh), xml), /^saml-signature-(signature-placement|reference|signature-count)$/).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}`);
      });
    }
  });

  it('refuses a replayed request ID', async () => {
    const xml = signed(authnRequest(STRICT), spKey);
    assert.equal((await post(newClient(gh), xml)).status, 200);
    await refused(() => post(newClient(gh), xml), 'saml-replayed-request');
  });

  it('refuses a request dated too long ago, so the replay cache need not remember it', async () => {
    await refused(() => post(newClient(gh), signed(authnRequest(STRICT, { issueInstant: new Date(Date.now() - 3_600_000).toISOString() }), spKey)), 'saml-expired');
  });

  it('refuses DOCTYPE / entity payloads', async () => {
    const xxe = `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${authnRequest(OPEN).replace('>https://open', '>&x;https://open')}`;
    await refused(() => post(newClient(gh), xxe), 'saml-xml-doctype');
    const laughs = `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>${authnRequest(OPEN)}`;
    await refused(() => newClient(gh).get(redirect(laughs)), 'saml-xml-doctype');
  });

  it('refuses a 2 MB request, posted and deflated', async () => {
    const big = authnRequest(OPEN, { extra: `<samlp:Extensions>${'<x/>'.repeat(500_000)}</samlp:Extensions>` });
    assert.ok(big.length > 2_000_000);
    await refused(() => post(newClient(gh), big), 'request-too-large');
    // 2 MB deflates to a few KB: the inflated size is bounded, not the compressed one.
    await refused(() => newClient(gh).get(redirect(big)), 'saml-too-large');
  });

  it('refuses a 2 MB HTTP-Redirect URL with a page and one audit event, before Express sees it', async () => {
    // Random bytes do not deflate: the query itself is 2 MB, far over Node's 16 KB header limit.
    const url = redirect(randomBytes(1_600_000));
    assert.ok(url.length > 2_000_000);
    let res: Response | undefined;
    await refused(async () => (res = await newClient(gh).get(url)), 'request-too-large');
    assert.equal(res?.status, 431);
    assert.equal(res?.headers.get('connection'), 'close');
    assert.match(res?.headers.get('content-type') ?? '', /^text\/html/);
    const [event] = await gh.runtime.store.audit.recent(1, { type: 'request.rejected' });
    assert.equal(event?.clientIp, '127.0.0.1');
    assert.equal(event?.details?.parserError, 'HPE_HEADER_OVERFLOW');
    assert.ok(!JSON.stringify(event).includes(url.slice(-200, -100)), 'none of the request is recorded');
    // The refusal cost that connection only: the next request is served.
    assert.match(await (await newClient(gh).get(redirect(authnRequest(OPEN)))).text(), /name="Password"/);
  });

  it('refuses a bad DEFLATE stream', async () => {
    await refused(() => newClient(gh).get(redirect(Buffer.from('this is not deflate at all, not at all'))), 'saml-deflate');
  });

  it('answers IsPassive without a session with a NoPassive status to the ACS', async () => {
    await status(() => newClient(gh).get(redirect(authnRequest(STRICT, { attrs: ' IsPassive="true"' }), spKey)), 'NoPassive');
  });

  it('answers a NameIDPolicy it cannot meet with InvalidNameIDPolicy, and an unknown AuthnContext with NoAuthnContext', async () => {
    await status(() => newClient(gh).get(redirect(authnRequest(STRICT, { extra: '<samlp:NameIDPolicy Format="urn:example:kerberos"/>' }), spKey)), 'InvalidNameIDPolicy');
    const context = '<samlp:RequestedAuthnContext><saml:AuthnContextClassRef>urn:example:retina-scan</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>';
    await status(() => newClient(gh).get(redirect(authnRequest(STRICT, { extra: context }), spKey)), 'NoAuthnContext');
  });

  it('IsPassive with a live session signs in without a page; ForceAuthn asks for the password again', async () => {
    const client = newClient(gh);
    await logInFrom(client, gh, await client.get(redirect(authnRequest(STRICT), spKey)));
    const passive = readForm(await (await client.get(redirect(authnRequest(STRICT, { attrs: ' IsPassive="true"' }), spKey))).text());
    assert.match(decodeXml(passive.fields.SAMLResponse!), /status:Success/);
    const forced = await client.get(redirect(authnRequest(STRICT, { attrs: ' ForceAuthn="true"' }), spKey));
    assert.match(await forced.text(), /name="Password"/);
  });
});
