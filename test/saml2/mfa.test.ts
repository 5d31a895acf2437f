import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAML } from '@node-saml/node-saml';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { startMfaHook } from '../support/mfa-hook.js';
import { readForm } from '../support/web-client.js';
import { ALICE, decodeXml, newClient, spTrust } from './helpers.js';

const SECRET = 'hook secret: thirty-two bytes or more, random';
const SP = 'https://mfa.sp.test';
const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';

let gh: RunningTestGatehouse;
let hook: Awaited<ReturnType<typeof startMfaHook>>;

describe('RequestedAuthnContext asks the sign-in flow for MFA ([R] / [E] second factor)', () => {
  before(async () => {
    // The push is sent on begin and approved by the time the user answers the page.
    hook = await startMfaHook(SECRET, (r) => ({ status: r.body.type === 'begin' ? 'pending' : 'approved' }));
    gh = await startTestGatehouse({
      directory: { users: [{ ...ALICE, groups: ['Push Users'] }] },
      trusts: [spTrust(SP, SP)],
      extra: { mfa: { external: { url: hook.url, secret: SECRET, name: 'push', timeoutMs: 400, groups: ['Push Users'] } } },
    });
  });
  after(async () => {
    await gh?.stop();
    await hook?.close();
  });

  it('runs the second factor after the password and answers with AuthnContextClassRef multipleauthn', async () => {
    const sp = new SAML({
      issuer: SP, callbackUrl: `${SP}/acs`, entryPoint: `${gh.url}/adfs/ls/`, idpCert: (await gh.signingCertificate()).pem,
      wantAuthnResponseSigned: false, authnContext: [MULTIPLE_AUTHN], racComparison: 'exact',
    });
    const client = newClient(gh);
    const login = readForm(await (await client.get(await sp.getAuthorizeUrlAsync('', undefined, {}))).text());
    const mfaPage = await (await client.post(new URL(login.action, gh.url).href, { ...login.fields, UserName: ALICE.upn, Password: ALICE.password })).text();
    assert.match(mfaPage, /name="MfaFlow"/, 'the second-factor page, not a Response');
    const mfa = readForm(mfaPage);
    const done = readForm(await (await client.post(new URL(mfa.action, gh.url).href, mfa.fields)).text());
    assert.equal(done.action, `${SP}/acs`);
    assert.match(decodeXml(done.fields.SAMLResponse!), new RegExp(`<saml:AuthnContextClassRef>${MULTIPLE_AUTHN}</saml:AuthnContextClassRef>`));
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: done.fields.SAMLResponse! });
    assert.equal(profile?.nameID, ALICE.upn);
  });
});
