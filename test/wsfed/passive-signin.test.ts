import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import Database from 'better-sqlite3';
import { sqliteStore } from '../../store/sqlite/index.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { readForm, WebClient } from '../support/web-client.js';
import { xmlsecVerify } from '../xml/xmlsec1.js';

const ENTRA = 'urn:federation:MicrosoftOnline';
const LOGIN_SRF = 'https://login.microsoftonline.com/login.srf';
const APP = 'urn:test:second-app';
const APP_REPLY = 'https://app.example.test/wsfed';
const SAML = 'urn:oasis:names:tc:SAML:1.0:assertion';
// ENTRA.md §7.1 test vector: this objectGUID has ImmutableID RDMiEWZViHeZqrvM3e7/AA==
const ALICE_GUID = '11223344-5566-7788-99aa-bbccddeeff00';

let gh: RunningTestGatehouse;
let signingCertPem: string;

const signInUrl = (realm: string, extra: Record<string, string> = {}) =>
  `${gh.url}/adfs/ls/?${new URLSearchParams({ wa: 'wsignin1.0', wtrealm: realm, ...extra })}`;

async function signInWithPassword(client: WebClient, url: string, username: string, password: string) {
  const page = await client.get(url);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /name="UserName"/, 'login page shown');
  const { action, fields } = readForm(html);
  return client.post(new URL(action, gh.url).href, { ...fields, UserName: username, Password: password, AuthMethod: 'FormsAuthentication' });
}

function assertionOf(wresult: string): Document {
  const doc = new DOMParser().parseFromString(wresult, 'text/xml');
  return doc as unknown as Document;
}
function attribute(doc: Document, name: string): string[] {
  return Array.from(doc.getElementsByTagNameNS(SAML, 'Attribute'))
    .filter((a) => a.getAttribute('AttributeName') === name)
    .flatMap((a) => Array.from(a.getElementsByTagNameNS(SAML, 'AttributeValue')).map((v) => v.textContent ?? ''));
}

describe('WS-Federation passive sign-in', () => {
  before(async () => {
    gh = await startTestGatehouse({
      directory: {
        users: [
          { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: ALICE_GUID },
          { upn: 'bob@fabrikam.example.com', password: 'Passw0rd!', objectGuid: '0f0e0d0c-0b0a-0908-0706-050403020100' },
        ],
      },
      domains: ['corp.example.com', 'fabrikam.example.com'],
      trusts: [{ identifier: APP, name: 'Second app', replyUrls: [APP_REPLY], ruleSet: 'mapped', claims: [{ attribute: 'upn', claimType: 'http://schemas.xmlsoap.org/claims/UPN' }] }],
    });
    signingCertPem = (await gh.signingCertificate()).pem;
  });
  after(() => gh.stop());

  it('issues Entra a signed SAML 1.1 token in an RSTR posted to login.srf, wctx byte for byte', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const wctx = 'LoginOptions=3&estsredirect=2&estsrequest=rQQIARAA%3a%2f"<>x';
    const res = await signInWithPassword(client, signInUrl(ENTRA, { wctx }), 'alice@corp.example.com', 'Passw0rd!');
    assert.equal(res.status, 200);
    const { action, fields } = readForm(await res.text());
    assert.equal(action, LOGIN_SRF);
    assert.equal(fields.wa, 'wsignin1.0');
    assert.equal(fields.wctx, wctx);
    const rstr = assertionOf(fields.wresult!);
    assert.equal(rstr.documentElement.localName, 'RequestSecurityTokenResponse');
    const assertion = rstr.getElementsByTagNameNS(SAML, 'Assertion')[0]!;
    assert.equal(assertion.getAttribute('Issuer'), 'http://corp.example.com/adfs/services/trust/');
    assert.equal(rstr.getElementsByTagNameNS(SAML, 'Audience')[0]!.textContent, ENTRA);
    assert.equal(rstr.getElementsByTagNameNS(SAML, 'NameIdentifier')[0]!.textContent, 'RDMiEWZViHeZqrvM3e7/AA==');
    assert.deepEqual(attribute(rstr, 'ImmutableID'), ['RDMiEWZViHeZqrvM3e7/AA==']);
    assert.deepEqual(attribute(rstr, 'UPN'), ['alice@corp.example.com']);
    assert.deepEqual(attribute(rstr, 'insidecorporatenetwork'), ['false']);
    const sso = client.setCookies.find((c) => c.startsWith('__Host-gatehouse_sso='));
    assert.ok(sso, 'an SSO cookie was set');
    assert.match(sso, /; Secure/);
    assert.match(sso, /; HttpOnly/);
    assert.match(sso, /; SameSite=None/);
    assert.match(sso, /; Path=\/;/, '__Host- cookies must have Path=/');
    assert.doesNotMatch(sso, /Max-Age|Expires/, 'a session cookie unless "keep me signed in" was chosen');
    const verified = await xmlsecVerify(fields.wresult!, signingCertPem, { attr: 'AssertionID', ns: SAML, element: 'Assertion' });
    assert.ok(verified.ok, verified.output);
  });

  it('signs a second relying party in from the SSO session, and wfresh=0 asks again', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    await signInWithPassword(client, signInUrl(ENTRA), 'alice@corp.example.com', 'Passw0rd!');
    const sso = await client.get(signInUrl(APP));
    const { action, fields } = readForm(await sso.text());
    assert.equal(action, APP_REPLY);
    const doc = assertionOf(fields.wresult!);
    assert.equal(doc.getElementsByTagNameNS(SAML, 'Audience')[0]!.textContent, APP);
    assert.equal(doc.getElementsByTagNameNS(SAML, 'NameIdentifier')[0]!.textContent, 'alice@corp.example.com');
    const recentEnough = await client.get(signInUrl(APP, { wfresh: '60' }));
    assert.match(await recentEnough.text(), /wresult/, 'a session of seconds satisfies wfresh=60');
    // Age every session's first factor by two hours, as the store would hold an older sign-in.
    const db = new Database(gh.config.store.sqlitePath);
    db.prepare("UPDATE sessions SET data = json_set(data, '$.instant', ?)").run(new Date(Date.now() - 2 * 3600_000).toISOString());
    db.close();
    assert.match(await (await client.get(signInUrl(APP, { wfresh: '60' }))).text(), /name="Password"/, 'a two-hour-old sign-in does not satisfy wfresh=60');
    const fresh = await client.get(signInUrl(APP, { wfresh: '0' }));
    assert.match(await fresh.text(), /name="Password"/);
  });

  it('keeps the session across browser restarts only with “keep me signed in”, and says so in psso', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const page = await client.get(signInUrl(ENTRA));
    const { action, fields } = readForm(await page.text());
    const res = await client.post(new URL(action, gh.url).href, { ...fields, UserName: 'alice@corp.example.com', Password: 'Passw0rd!', Kmsi: 'true' });
    const { fields: answer } = readForm(await res.text());
    assert.deepEqual(attribute(assertionOf(answer.wresult!), 'psso'), ['true']);
    assert.match(client.setCookies.find((c) => c.startsWith('__Host-gatehouse_sso='))!, /Max-Age=28800/);
  });

  it('answers a request for MFA with the password and then a second factor, never a password-only token', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const page = await client.get(signInUrl(ENTRA, { wauth: 'http://schemas.microsoft.com/claims/multipleauthn' }));
    assert.equal(page.status, 200);
    const { action, fields } = readForm(await page.text());
    const res = await client.post(new URL(action, gh.url).href, { ...fields, UserName: 'alice@corp.example.com', Password: 'Passw0rd!' });
    const html = await res.text();
    assert.match(html, /name="MfaFlow"/, 'alice has no authenticator yet: the set-up page');
    assert.doesNotMatch(html, /name="wresult"/);
  });

  it('does not show attacker-chosen wauth text on its page', async () => {
    const res = await new WebClient([gh.tlsCertPem]).get(signInUrl(ENTRA, { wauth: 'Your account is compromised. Call +1-555-0100' }));
    assert.equal(res.status, 403);
    assert.doesNotMatch(await res.text(), /compromised|555-0100/);
  });

  it('finishes a sign-in whose message arrived in a POST body', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const wctx = 'posted&context=1';
    const page = await client.post(`${gh.url}/adfs/ls/`, { wa: 'wsignin1.0', wtrealm: ENTRA, wctx });
    const { action, fields } = readForm(await page.text());
    assert.ok(action.startsWith('/adfs/ls/?wa=wsignin1.0&'), action);
    const res = await client.post(new URL(action, gh.url).href, { ...fields, UserName: 'alice@corp.example.com', Password: 'Passw0rd!' });
    const answer = readForm(await res.text());
    assert.equal(answer.action, LOGIN_SRF);
    assert.equal(answer.fields.wctx, wctx);
  });

  it('accepts the password wauth Entra sends for prompt=login (http and https forms, ENTRA.md §2.1)', async () => {
    for (const wauth of ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password', 'https://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password']) {
      const res = await new WebClient([gh.tlsCertPem]).get(signInUrl(ENTRA, { wauth, wfresh: '0' }));
      assert.equal(res.status, 200);
      assert.match(await res.text(), /name="Password"/);
    }
  });

  it('gives a user of a second federated domain that domain’s issuer', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const res = await signInWithPassword(client, signInUrl(ENTRA), 'bob@fabrikam.example.com', 'Passw0rd!');
    const { fields } = readForm(await res.text());
    const a = assertionOf(fields.wresult!).getElementsByTagNameNS(SAML, 'Assertion')[0]!;
    assert.equal(a.getAttribute('Issuer'), 'http://fabrikam.example.com/adfs/services/trust/');
  });

  it('shows the login page again with AD FS’s message for a wrong password, and issues nothing', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const res = await signInWithPassword(client, signInUrl(ENTRA), 'alice@corp.example.com', 'wrong');
    const html = await res.text();
    assert.match(html, /Incorrect user ID or password/);
    assert.doesNotMatch(html, /wresult/);
  });

  it('refuses a wreply not registered for the trust, with a page and an audit event', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const res = await client.get(signInUrl(ENTRA, { wreply: 'https://evil.example/login.srf' }));
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.match(html, /not registered/);
    assert.doesNotMatch(html, /evil\.example/);
    await gh.runtime.audit.flush();
    const store = sqliteStore(gh.config.store.sqlitePath);
    const events = await store.audit.recent(20, { type: 'request.rejected' });
    await store.close();
    assert.ok(events.some((e) => e.reason === 'unregistered-reply'));
  });

  it('refuses an unknown wtrealm', async () => {
    const res = await new WebClient([gh.tlsCertPem]).get(signInUrl('urn:unknown:app'));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /not registered with this sign-in service/);
  });

  it('escapes markup from wctx in the page', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const wctx = '"><script>alert(1)</script>';
    const res = await signInWithPassword(client, signInUrl(ENTRA, { wctx }), 'alice@corp.example.com', 'Passw0rd!');
    const html = await res.text();
    assert.doesNotMatch(html, /<script>alert/);
    assert.equal(readForm(html).fields.wctx, wctx);
  });

  it('refuses a form post without the CSRF token, and a replayed one', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const page = await client.get(signInUrl(ENTRA));
    const { action, fields } = readForm(await page.text());
    const target = new URL(action, gh.url).href;
    const noToken = await client.post(target, { UserName: 'alice@corp.example.com', Password: 'Passw0rd!' });
    assert.equal(noToken.status, 400);
    assert.doesNotMatch(await noToken.text(), /wresult/);
    const good = { ...fields, UserName: 'alice@corp.example.com', Password: 'Passw0rd!' };
    const first = await client.post(target, good);
    assert.match(await first.text(), /wresult/);
    const replay = await client.post(target, good);
    assert.equal(replay.status, 400);
    assert.doesNotMatch(await replay.text(), /wresult/);
  });

  it('signs out: ends the session and cleans up every relying party that got a token', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    await signInWithPassword(client, signInUrl(ENTRA), 'alice@corp.example.com', 'Passw0rd!');
    await client.get(signInUrl(APP));
    const out = await client.get(`${gh.url}/adfs/ls/?wa=wsignout1.0&wtrealm=${encodeURIComponent(APP)}&wreply=${encodeURIComponent(APP_REPLY)}`);
    const html = await out.text();
    assert.match(html, /Signed out/);
    assert.ok(html.includes('https://login.microsoftonline.com/login.srf?wa=wsignoutcleanup1.0'));
    assert.ok(html.includes(`${APP_REPLY}?wa=wsignoutcleanup1.0`));
    assert.match(html, /id="continue" href="https:\/\/app\.example\.test\/wsfed"/);
    const again = await client.get(signInUrl(APP));
    assert.match(await again.text(), /name="Password"/);
  });
});
