import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import { SAML } from '@node-saml/node-saml';
import type { RunningTestGatehouse } from '../support/gatehouse.js';
import { makeTestCert, type TestCert } from '../support/pki.js';
import { startTestRelyingParty } from '../support/test-rp.js';
import { readForm, WebClient } from '../support/web-client.js';
import { logInFrom, spTrust, startSamlGatehouse } from './helpers.js';

const WSFED = 'urn:test:wsfed-app';
const A = 'https://a.sp.test';
const B = 'https://b.sp.test';

let gh: RunningTestGatehouse;
let rp: Awaited<ReturnType<typeof startTestRelyingParty>>;
let spKey: TestCert;
let idpCertPem = '';

function sp(base: string): SAML {
  return new SAML({
    issuer: base, callbackUrl: `${base}/acs`, entryPoint: `${gh.url}/adfs/ls/`, logoutUrl: `${gh.url}/adfs/ls/`,
    idpCert: idpCertPem, privateKey: spKey.keyPem, signatureAlgorithm: 'sha256', digestAlgorithm: 'sha256',
    // These trusts keep the default: the assertion signed, the Response not (AD FS's default).
    wantAuthnResponseSigned: false, wantAssertionsSigned: true,
  });
}

/** Signs the client in to the WS-Fed app (password) and to the SAML SPs (SSO); returns node-saml's profiles. */
async function signInEverywhere(client: WebClient) {
  await logInFrom(client, gh, await client.get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(WSFED)}`));
  const profiles = [];
  for (const base of [A, B]) {
    const saml = sp(base);
    const form = readForm(await (await client.get(await saml.getAuthorizeUrlAsync('', undefined, {}))).text());
    profiles.push((await saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! })).profile!);
  }
  return profiles;
}

/** The cleanup frames of a sign-out page, loaded as the browser would (the app needs no cookie of ours). */
async function loadFrames(html: string): Promise<string[]> {
  // Its own client: the app's and Gatehouse's test certificates share one subject name.
  const client = new WebClient([rp.certPem]);
  const srcs = [...html.matchAll(/<iframe class="cleanup"[^>]*src="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
  for (const src of srcs) assert.equal((await client.get(src)).status, 200);
  return srcs;
}

describe('single logout across WS-Fed and SAML participants', () => {
  before(async () => {
    spKey = await makeTestCert('SLO SPs');
    rp = await startTestRelyingParty(() => idpCertPem);
    gh = await startSamlGatehouse([
      { identifier: WSFED, name: 'WS-Fed app', replyUrls: [rp.replyUrl] },
      spTrust(A, A, { signingCertificates: [spKey.certPem] }),
      // B registered no SingleLogoutService: it cannot be told, so logout is partial.
      spTrust(B, B, { signingCertificates: [spKey.certPem], singleLogoutServices: [] }),
    ]);
    idpCertPem = (await gh.signingCertificate()).pem;
  });
  after(async () => {
    await gh.stop();
    await rp.close();
  });

  it('wsignout1.0 from the WS-Fed app sends SAML participants a LogoutRequest, then cleans up the WS-Fed app', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const [profileA] = await signInEverywhere(client);
    const first = await client.get(`${gh.url}/adfs/ls/?wa=wsignout1.0&wtrealm=${encodeURIComponent(WSFED)}&wreply=${encodeURIComponent(rp.replyUrl)}`);
    assert.equal(first.status, 302);
    const toA = new URL(first.headers.get('location')!);
    assert.equal(`${toA.origin}${toA.pathname}`, `${A}/slo`);
    const request = await sp(A).validateRedirectAsync(Object.fromEntries(toA.searchParams), toA.search.slice(1));
    assert.equal(request.profile?.nameID, profileA!.nameID);
    assert.equal(request.profile?.sessionIndex, profileA!.sessionIndex);
    const done = await client.get(await sp(A).getLogoutResponseUrlAsync(request.profile!, '', {}, true));
    const html = await done.text();
    assert.equal(done.status, 200, html);
    // B could not be told: the page says the logout is partial; the WS-Fed app's cleanup frame is there.
    assert.match(html, /some applications could not be told/);
    const before = rp.cleanups.length;
    const frames = await loadFrames(html);
    assert.equal(frames.length, 1);
    assert.equal(rp.cleanups.length, before + 1);
    assert.match(html, new RegExp(`id="continue" href="${rp.replyUrl}"`));
    const [partial, signedOut] = await gh.runtime.store.audit.recent(2, { type: 'signout' });
    assert.deepEqual([partial?.outcome, partial?.reason, partial?.details?.notLoggedOut], ['failure', 'saml-partial-logout', B]);
    assert.equal(signedOut?.outcome, 'success');
  });

  it('a participant that answers its LogoutRequest with a failure status makes the logout partial', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    await signInEverywhere(client);
    const first = await client.get(`${gh.url}/adfs/ls/?wa=wsignout1.0`);
    const toA = new URL(first.headers.get('location')!);
    const request = await sp(A).validateRedirectAsync(Object.fromEntries(toA.searchParams), toA.search.slice(1));
    const done = await client.get(await sp(A).getLogoutResponseUrlAsync(request.profile!, '', {}, false));
    assert.match(await done.text(), /some applications could not be told/);
    const [event] = await gh.runtime.store.audit.recent(1, { type: 'signout' });
    assert.deepEqual([event?.reason, event?.details?.notLoggedOut], ['saml-partial-logout', `${A} ${B}`]);
  });

  it('an SP-initiated LogoutRequest logs the WS-Fed app out too and answers PartialLogout when a participant could not be logged out', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const [profileA] = await signInEverywhere(client);
    const res = await client.get(await sp(A).getLogoutUrlAsync(profileA!, 'rs', {}));
    const html = await res.text();
    assert.equal(res.status, 200, html);
    const before = rp.cleanups.length;
    await loadFrames(html);
    assert.equal(rp.cleanups.length, before + 1);
    const back = new URL(/id="continue" href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&'));
    assert.equal(`${back.origin}${back.pathname}`, `${A}/slo`);
    const response = inflateRawSync(Buffer.from(back.searchParams.get('SAMLResponse')!, 'base64')).toString();
    assert.match(response, /<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:PartialLogout">/);
    const checked = await sp(A).validateRedirectAsync(Object.fromEntries(back.searchParams), back.search.slice(1));
    assert.equal(checked.loggedOut, true);
    // The SSO session is over for everyone.
    assert.match(await (await client.get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(WSFED)}`)).text(), /name="Password"/);
  });
});
