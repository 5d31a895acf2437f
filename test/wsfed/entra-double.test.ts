import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns } from '../entra/signin/log.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { readForm, WebClient } from '../support/web-client.js';

// objectGUIDs whose ImmutableIDs (ENTRA.md §7.1 byte order) the tenant holds.
const users = [
  { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00', immutableId: 'RDMiEWZViHeZqrvM3e7/AA==' },
  { upn: 'bob@fabrikam.example.com', password: 'Passw0rd!', objectGuid: '0f0e0d0c-0b0a-0908-0706-050403020100', immutableId: 'DA0ODwoLCAkHBgUEAwIBAA==' },
  { upn: 'carol@corp.example.com', password: 'Passw0rd!', objectGuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', immutableId: 'not-synced' },
];

let entra: EntraDouble;
let gh: RunningTestGatehouse;

/** Start at Entra, follow the redirect to Gatehouse, sign in; returns the form Gatehouse posts back. */
async function signInAt(client: WebClient, upn: string, password: string) {
  const start = await client.get(`${entra.url}/signin?username=${encodeURIComponent(upn)}`);
  assert.equal(start.status, 302);
  const login = await client.get(start.headers.get('location')!);
  const { action, fields } = readForm(await login.text());
  const answer = await client.post(new URL(action, gh.url).href, { ...fields, UserName: upn, Password: password });
  return readForm(await answer.text());
}

describe('the Entra double accepts Gatehouse’s WS-Fed tokens (and only them)', () => {
  before(async () => {
    entra = await startEntraDouble();
    gh = await startTestGatehouse({ directory: { users }, domains: ['corp.example.com', 'fabrikam.example.com'], entraReplyUrl: `${entra.url}/login.srf` });
    const cert = await gh.signingCertificate();
    for (const domain of ['corp.example.com', 'fabrikam.example.com']) {
      entra.tenant.addDomain(domain);
      entra.tenant.federate(domain, { issuerUri: `http://${domain}/adfs/services/trust/`, passiveSignInUri: `${gh.url}/adfs/ls/`, signingCertificate: cert.base64Der });
    }
    for (const u of users.slice(0, 2)) entra.tenant.addUser({ userPrincipalName: u.upn, displayName: u.upn, onPremisesImmutableId: u.immutableId });
  });
  after(async () => {
    await gh.stop();
    await entra.close();
  });

  for (const u of users.slice(0, 2)) {
    it(`signs ${u.upn} in under its own domain’s issuer`, async () => {
      const client = new WebClient([gh.tlsCertPem, entra.caCertPem]);
      const form = await signInAt(client, u.upn, u.password);
      const res = await client.post(form.action, form.fields);
      const html = await res.text();
      assert.equal(res.status, 200, html);
      assert.match(html, new RegExp(`id="immutable-id">${u.immutableId.replace(/[+/]/g, '\\$&')}<`));
      assert.equal(signIns.at(-1)?.result, 'success');
    });
  }

  it('rejects a tampered wresult with AADSTS50006', async () => {
    const client = new WebClient([gh.tlsCertPem, entra.caCertPem]);
    const form = await signInAt(client, 'alice@corp.example.com', 'Passw0rd!');
    const tampered = form.fields.wresult!.replace('<saml:AttributeValue>alice@corp.example.com<', '<saml:AttributeValue>admin@corp.example.com<');
    assert.notEqual(tampered, form.fields.wresult);
    const html = await (await client.post(form.action, { ...form.fields, wresult: tampered })).text();
    assert.match(html, /data-code="AADSTS50006"/);
  });

  it('answers AADSTS51004 for a user Entra does not have (sync is what creates them)', async () => {
    const client = new WebClient([gh.tlsCertPem, entra.caCertPem]);
    const form = await signInAt(client, 'carol@corp.example.com', 'Passw0rd!');
    const html = await (await client.post(form.action, form.fields)).text();
    assert.match(html, /data-code="AADSTS51004"/);
  });
});
