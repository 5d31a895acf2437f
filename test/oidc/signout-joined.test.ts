import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAML } from '@node-saml/node-saml';
import type { RunningTestGatehouse } from '../support/gatehouse.js';
import { makeTestCert, type TestCert } from '../support/pki.js';
import { readForm, WebClient } from '../support/web-client.js';
import { logInFrom, spTrust, startSamlGatehouse } from '../saml2/helpers.js';

const WSFED = 'urn:test:wsfed-app';
const WSFED_CLEANUP = 'https://wsfed.app.test/signout';
const SP = 'https://a.sp.test';
const RP = 'https://oidc.app.test';

let gh: RunningTestGatehouse;
let spKey: TestCert;
let idpCertPem = '';

function sp(): SAML {
  return new SAML({
    issuer: SP, callbackUrl: `${SP}/acs`, entryPoint: `${gh.url}/adfs/ls/`, logoutUrl: `${gh.url}/adfs/ls/`,
    idpCert: idpCertPem, privateKey: spKey.keyPem, signatureAlgorithm: 'sha256', digestAlgorithm: 'sha256',
    wantAuthnResponseSigned: false, wantAssertionsSigned: true,
  });
}

/** Follows redirects on Gatehouse's host until one leaves it; that location. */
async function followToApp(client: WebClient, url: string): Promise<URL> {
  let next = new URL(url, gh.url);
  for (let hops = 0; next.origin === gh.url && hops < 10; hops++) {
    const res = await client.get(next.href);
    const location = res.headers.get('location');
    assert.ok(location, `${res.status} at ${next.pathname}: ${(await res.text()).slice(0, 300)}`);
    next = new URL(location, next);
  }
  return next;
}

/** WS-Federation (password), then the SAML SP and the OpenID Connect client from the SSO session. */
async function signInEverywhere(client: WebClient): Promise<void> {
  await logInFrom(client, gh, await client.get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(WSFED)}`));
  const form = readForm(await (await client.get(await sp().getAuthorizeUrlAsync('', undefined, {}))).text());
  await sp().validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
  const authorize = new URL(`${gh.url}/adfs/oauth2/authorize`);
  authorize.search = new URLSearchParams({ client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: `${RP}/cb`, state: 's1' }).toString();
  const callback = await followToApp(client, authorize.href);
  assert.equal(`${callback.origin}${callback.pathname}`, `${RP}/cb`);
  assert.ok(callback.searchParams.get('code'), 'the OIDC client signed in from the SSO session');
}

const frames = (html: string) => [...html.matchAll(/<iframe class="cleanup"[^>]*src="([^"]+)"/g)].map((m) => new URL(m[1]!.replace(/&amp;/g, '&')));

describe('one sign-out across OpenID Connect, SAML and WS-Federation', () => {
  before(async () => {
    spKey = await makeTestCert('joined SLO SP');
    gh = await startSamlGatehouse([{ identifier: WSFED, name: 'WS-Fed app', replyUrls: [`${WSFED_CLEANUP}/in`], signOutUrl: WSFED_CLEANUP }, spTrust(SP, SP, { signingCertificates: [spKey.certPem] })], {
      oidc: {
        clients: [{ client_id: 'web', client_secret: 'w'.repeat(40), application_type: 'web', redirect_uris: [`${RP}/cb`], post_logout_redirect_uris: [`${RP}/out`], frontchannel_logout_uri: `${RP}/fc` }],
      },
    } as never);
    idpCertPem = (await gh.signingCertificate()).pem;
  });
  after(async () => {
    await gh?.stop();
  });

  it('RP-initiated logout sends the SAML participant its LogoutRequest, then loads the WS-Fed and front-channel cleanups and returns to the client', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    await signInEverywhere(client);
    const logout = new URL(`${gh.url}/adfs/oauth2/logout`);
    logout.search = new URLSearchParams({ client_id: 'web', post_logout_redirect_uri: `${RP}/out`, state: 'bye' }).toString();
    const toSp = await followToApp(client, logout.href);
    assert.equal(`${toSp.origin}${toSp.pathname}`, `${SP}/slo`, 'the SAML participant is logged out first');
    const request = await sp().validateRedirectAsync(Object.fromEntries(toSp.searchParams), toSp.search.slice(1));
    assert.equal(request.profile?.nameID, 'alice@corp.example.com');

    const done = await client.get(await sp().getLogoutResponseUrlAsync(request.profile!, '', {}, true));
    const html = await done.text();
    assert.equal(done.status, 200, html);
    const loaded = frames(html).map((u) => u.href).sort();
    assert.deepEqual(loaded, [`${RP}/fc?iss=${encodeURIComponent(`${gh.url}/adfs`)}`, `${WSFED_CLEANUP}?wa=wsignoutcleanup1.0`].sort());
    assert.match(done.headers.get('content-security-policy') ?? '', new RegExp(`form-action 'self' ${RP}`));

    // The page then posts the provider's confirmation: it ends its session and returns to the client.
    const confirm = readForm(html);
    const back = await client.post(new URL(confirm.action, gh.url).href, confirm.fields);
    assert.equal(back.status, 303);
    const out = new URL(back.headers.get('location')!);
    assert.equal(`${out.origin}${out.pathname}`, `${RP}/out`);
    assert.equal(out.searchParams.get('state'), 'bye');

    // Signed out everywhere: the next sign-in asks for the password.
    assert.match(await (await client.get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(WSFED)}`)).text(), /name="Password"/);
  });

  it('wsignout1.0 loads the OIDC client’s front-channel logout URI as registered (with iss, no wsignoutcleanup1.0)', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    await signInEverywhere(client);
    const toSp = await followToApp(client, `${gh.url}/adfs/ls/?wa=wsignout1.0`);
    const request = await sp().validateRedirectAsync(Object.fromEntries(toSp.searchParams), toSp.search.slice(1));
    const html = await (await client.get(await sp().getLogoutResponseUrlAsync(request.profile!, '', {}, true))).text();
    const fc = frames(html).find((u) => u.pathname === '/fc');
    assert.ok(fc, html);
    assert.equal(fc.searchParams.get('wa'), null);
    assert.equal(fc.searchParams.get('iss'), `${gh.url}/adfs`);
  });
});
