import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InternalDomainFederation } from '../entra/tenant.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns } from '../entra/signin/log.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { readForm, WebClient } from '../support/web-client.js';

// ENTRA.md §7.1 test vector.
const ALICE = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00', immutableId: 'RDMiEWZViHeZqrvM3e7/AA==' };

let entra: EntraDouble;
let gh: RunningTestGatehouse;
let federation: InternalDomainFederation;

/** Entra's sign-in start for alice, then the page Gatehouse answers its redirect with. */
async function throughEntra(client: WebClient, promptLogin: boolean): Promise<{ redirect: URL; page: string }> {
  const start = await client.get(`${entra.url}/signin?username=${encodeURIComponent(ALICE.upn)}${promptLogin ? '&prompt=login' : ''}`);
  assert.equal(start.status, 302);
  const redirect = new URL(start.headers.get('location')!);
  return { redirect, page: await (await client.get(redirect.href)).text() };
}

/** A browser that signed alice in once, so it holds Gatehouse's SSO cookie. */
async function signedInBrowser(): Promise<WebClient> {
  const client = new WebClient([gh.tlsCertPem, entra.caCertPem]);
  const { page } = await throughEntra(client, false);
  const { action, fields } = readForm(page);
  const answer = readForm(await (await client.post(new URL(action, gh.url).href, { ...fields, UserName: ALICE.upn, Password: ALICE.password })).text());
  assert.equal((await client.post(answer.action, answer.fields)).status, 200);
  assert.equal(signIns.at(-1)?.result, 'success');
  return client;
}

describe('prompt=login from Entra makes Gatehouse ask for the password again, whichever way promptLoginBehavior passes it (ENTRA.md §2.1)', () => {
  before(async () => {
    entra = await startEntraDouble();
    gh = await startTestGatehouse({ directory: { users: [ALICE] }, entraReplyUrl: `${entra.url}/login.srf` });
    entra.tenant.addDomain('corp.example.com');
    federation = entra.tenant.federate('corp.example.com', {
      issuerUri: 'http://corp.example.com/adfs/services/trust/', passiveSignInUri: `${gh.url}/adfs/ls/`, signingCertificate: (await gh.signingCertificate()).base64Der,
    });
    entra.tenant.addUser({ userPrincipalName: ALICE.upn, onPremisesImmutableId: ALICE.immutableId });
  });
  after(async () => {
    await gh.stop();
    await entra.close();
  });

  it('without prompt=login the SSO session answers with a token and no login page', async () => {
    federation.promptLoginBehavior = 'nativeSupport';
    const client = await signedInBrowser();
    const { page } = await throughEntra(client, false);
    assert.doesNotMatch(page, /name="Password"/);
    const { fields } = readForm(page);
    assert.ok(fields.wresult, 'a token from the session');
  });

  it('nativeSupport: Entra passes prompt=login, Gatehouse shows the login form although a session is live, and the new token is accepted', async () => {
    federation.promptLoginBehavior = 'nativeSupport';
    const client = await signedInBrowser();
    const { redirect, page } = await throughEntra(client, true);
    assert.equal(redirect.searchParams.get('prompt'), 'login');
    assert.equal(redirect.searchParams.get('wfresh'), null);
    assert.match(page, /name="Password"/, 'asked again');
    const { action, fields } = readForm(page);
    assert.match(action, /[?&]prompt=login(&|$)/, 'the form posts the prompt back with the sign-in message');
    const answer = readForm(await (await client.post(new URL(action, gh.url).href, { ...fields, UserName: ALICE.upn, Password: ALICE.password })).text());
    assert.equal((await client.post(answer.action, answer.fields)).status, 200);
    assert.equal(signIns.at(-1)?.result, 'success');
  });

  it('translateToFreshPasswordAuthentication: Entra sends wfresh=0 with wauth=password, and Gatehouse asks again', async () => {
    federation.promptLoginBehavior = 'translateToFreshPasswordAuthentication';
    const client = await signedInBrowser();
    const { redirect, page } = await throughEntra(client, true);
    assert.equal(redirect.searchParams.get('wfresh'), '0');
    assert.equal(redirect.searchParams.get('wauth'), 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password');
    assert.equal(redirect.searchParams.get('prompt'), null);
    assert.match(page, /name="Password"/);
  });
});
