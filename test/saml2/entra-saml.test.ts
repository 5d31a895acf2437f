import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { createDirectory } from '../directory/helpers.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns } from '../entra/signin/log.js';
import { authnRequestSigningPublicKeyPem } from '../entra/signin/saml2.js';
import type { InternalDomainFederation } from '../entra/tenant.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { readForm, WebClient } from '../support/web-client.js';
import { decodeXml, logInFrom, xmlsecAssertion } from './helpers.js';

let bed: TestBed;
let entra: EntraDouble;
let gh: RunningTestGatehouse;
let federation: InternalDomainFederation;
let aliceImmutableId: string;
let certPem: string;

describe('Entra (double) signs alice (Samba AD) in over SAML 2.0 (ENTRA.md §3)', () => {
  before(async () => {
    bed = await getTestBed();
    entra = await startEntraDouble();
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      entraReplyUrl: `${entra.url}/login.srf`,
      extra: {
        federation: { domains: [{ name: 'corp.example.com' }], preferredAuthenticationProtocol: 'saml', isSignedAuthenticationRequestRequired: true },
        entra: { samlRequestSigningCertificates: [authnRequestSigningPublicKeyPem] },
      },
    });
    const cert = await gh.signingCertificate();
    certPem = cert.pem;
    const dir = await createDirectory({ kind: 'ldap', dcs: [bed.ldapsUrl], caCertPem: bed.caCertPem, baseDn: bed.baseDn, serviceAccount: { dn: bed.service.dn, password: bed.service.password } });
    aliceImmutableId = (await dir.findUser({ upn: 'alice@corp.example.com' }))!.immutableId;
    await dir.close();
    entra.tenant.addDomain('corp.example.com');
    federation = entra.tenant.federate('corp.example.com', {
      issuerUri: 'http://corp.example.com/adfs/services/trust/',
      passiveSignInUri: `${gh.url}/adfs/ls/`,
      signingCertificate: cert.base64Der,
      preferredAuthenticationProtocol: 'saml',
      isSignedAuthenticationRequestRequired: true,
    });
    entra.tenant.addUser({ userPrincipalName: 'alice@corp.example.com', displayName: 'Alice Anders', onPremisesImmutableId: aliceImmutableId });
  });
  after(async () => {
    await gh?.stop();
    await entra?.close();
  });

  const startAtEntra = async (client: WebClient) => {
    const start = await client.get(`${entra.url}/signin?username=alice@corp.example.com`);
    return readForm(await start.text());
  };

  it('accepts Entra’s RSA-SHA1-signed AuthnRequest (the Entra trust opts in) and Entra accepts the Response: NameID = ImmutableID, IDPEmail = UPN, Issuer = issuerUri', async () => {
    const client = new WebClient([gh.tlsCertPem, entra.caCertPem]);
    const request = await startAtEntra(client);
    assert.match(decodeXml(request.fields.SAMLRequest!), /rsa-sha1/);
    const form = await logInFrom(client, gh, await client.post(request.action, request.fields), { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '', immutableId: '' });
    assert.equal(form.action, `${entra.url}/login.srf`);
    const xml = decodeXml(form.fields.SAMLResponse!);
    assert.match(xml, /<saml:Attribute Name="IDPEmail"><saml:AttributeValue>alice@corp.example.com<\/saml:AttributeValue>/);
    assert.match(xml, /<saml:Issuer>http:\/\/corp\.example\.com\/adfs\/services\/trust\/<\/saml:Issuer>/);
    const verified = await xmlsecAssertion(xml, certPem);
    assert.ok(verified.ok, verified.output);
    const res = await client.post(form.action, form.fields);
    const html = await res.text();
    assert.equal(res.status, 200, html);
    assert.match(html, /<span id="upn">alice@corp.example.com<\/span>/);
    assert.deepEqual([signIns.at(-1)?.protocol, signIns.at(-1)?.result, signIns.at(-1)?.immutableId], ['saml', 'success', aliceImmutableId]);
  });

  it('refuses an unsigned AuthnRequest from Entra when isSignedAuthenticationRequestRequired, with a page', async () => {
    federation.isSignedAuthenticationRequestRequired = false;
    try {
      const client = new WebClient([gh.tlsCertPem, entra.caCertPem]);
      const request = await startAtEntra(client);
      const res = await client.post(request.action, request.fields);
      assert.equal(res.status, 403);
      assert.match(await res.text(), /saml-unsigned-request/);
    } finally {
      federation.isSignedAuthenticationRequestRequired = true;
    }
  });
});
