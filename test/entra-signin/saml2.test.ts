import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns } from '../entra/signin/log.js';
import { authnRequestSigningPublicKeyPem } from '../entra/signin/saml2.js';
import { ALICE_IMMUTABLE_ID, ISSUER, PASSIVE, federatedTenant, type FederatedTenant } from './fixture.js';
import { formFields, get, postForm } from './http.js';
import { newIdpKey, saml2Response, type IdpKey, type Saml2Options } from './tokens.js';

describe('Entra double: SAML 2.0 federation (§3)', () => {
  let d: EntraDouble;
  let f: FederatedTenant;
  let stranger: IdpKey;
  before(async () => {
    d = await startEntraDouble();
    // ALICE_IMMUTABLE_ID holds a '+'-free value; a '+' one checks the `.2B` decoding of §3.2.
    f = await federatedTenant({ preferredAuthenticationProtocol: 'saml' }, d.tenant);
    f.alice.onPremisesImmutableId = 'a+b/RDMiEWZViHeZqrvM3e==';
    stranger = await newIdpKey('saml-stranger');
  });
  after(() => d.close());

  /** Starts a sign-in; returns the decoded AuthnRequest and the fields to answer with. */
  const start = async () => {
    const res = await get(d, '/signin?username=alice@corp.example.com');
    assert.equal(res.status, 200, res.text);
    const { action, fields } = formFields(res.text);
    assert.equal(action, PASSIVE);
    const xml = Buffer.from(fields.SAMLRequest ?? '', 'base64').toString();
    const request = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
    assert.ok(request);
    return { xml, request, relayState: fields.RelayState ?? '', id: request.getAttribute('ID') ?? '' };
  };
  const answer = async (o: Partial<Saml2Options> = {}) => {
    const { id, relayState } = await start();
    const response = saml2Response({
      key: f.key, issuer: ISSUER, immutableId: f.alice.onPremisesImmutableId ?? '', upn: 'alice@corp.example.com',
      destination: `${d.url}/login.srf`, inResponseTo: id, ...o,
    });
    return postForm(d, '/login.srf', { SAMLResponse: Buffer.from(response).toString('base64'), RelayState: relayState });
  };

  it('sends an unsigned AuthnRequest as Entra does: Issuer, persistent NameIDPolicy, no ACS URL (§3.1)', async () => {
    const { request, id } = await start();
    assert.equal(request.localName, 'AuthnRequest');
    assert.equal(request.getAttribute('Version'), '2.0');
    assert.match(id, /^_/);
    assert.equal(request.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Issuer')[0]?.textContent, 'urn:federation:MicrosoftOnline');
    assert.equal(request.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:protocol', 'NameIDPolicy')[0]?.getAttribute('Format'), 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    assert.equal(request.hasAttribute('AssertionConsumerServiceURL'), false);
    assert.equal(request.hasAttribute('Destination'), false);
  });

  it('signs the AuthnRequest and adds Destination when isSignedAuthenticationRequestRequired (§3.1)', async () => {
    f.federation.isSignedAuthenticationRequestRequired = true;
    const { xml, request } = await start();
    f.federation.isSignedAuthenticationRequestRequired = false;
    assert.equal(request.getAttribute('Destination'), PASSIVE);
    const signature = request.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0];
    assert.equal(signature?.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'KeyName')[0]?.textContent, 'MicrosoftOnline');
    const verifier = new SignedXml({ publicCert: authnRequestSigningPublicKeyPem });
    verifier.loadSignature(signature!.toString());
    assert.equal(verifier.checkSignature(xml), true);
  });

  it('signs alice in from a correct Response, decoding `.2B` in the NameID (§3.2)', async () => {
    const res = await answer();
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<span id="upn">alice@corp.example.com<\/span>/);
    assert.deepEqual([signIns.at(-1)?.protocol, signIns.at(-1)?.result], ['saml', 'success']);
  });

  for (const [rule, o, code] of [
    ['destinationIsLoginSrf', { destination: 'https://elsewhere.example/login.srf' }, 'AADSTS50008'],
    ['inResponseToIssuedRequest', { inResponseTo: '_not-ours' }, 'AADSTS50008'],
    ['statusSuccess', { status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }, 'AADSTS50008'],
    ['nameIdPersistent', { nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' }, 'AADSTS50008'],
    ['bearerConfirmation', { recipient: 'https://elsewhere.example/acs' }, 'AADSTS50008'],
    ['audienceIsMicrosoftOnline', { audience: 'https://sp.example/' }, 'AADSTS50008'],
    ['withinTimeWindow', { lifetime: -3600 }, 'AADSTS50013'],
    ['issuerNamesFederatedDomain', { issuer: 'http://evil.example/idp' }, 'AADSTS50107'],
    ['immutableIdNamesUser', { immutableId: ALICE_IMMUTABLE_ID }, 'AADSTS51004'],
  ] as const) {
    it(`rejects a Response that breaks ${rule} with ${code}`, async () => {
      const res = await answer(o);
      assert.equal(res.status, 400);
      assert.match(res.text, new RegExp(`data-code="${code}"`));
      assert.equal(signIns.at(-1)?.rule, rule);
    });
  }

  it('rejects an assertion signed by a key Graph does not hold with AADSTS50006', async () => {
    const res = await answer({ key: stranger });
    assert.match(res.text, /data-code="AADSTS50006"/);
  });

  it('counts only AuthnContextClassRef multipleauthn as MFA on an enforce domain (§5.3)', async () => {
    f.federation.federatedIdpMfaBehavior = 'enforceMfaByFederatedIdp';
    const res = await get(d, '/signin?username=alice@corp.example.com&mfa=1');
    const { fields } = formFields(res.text);
    const request = Buffer.from(fields.SAMLRequest ?? '', 'base64').toString();
    const id = /ID="([^"]+)"/.exec(request)?.[1] ?? '';
    const response = saml2Response({
      key: f.key, issuer: ISSUER, immutableId: f.alice.onPremisesImmutableId ?? '', upn: 'alice@corp.example.com',
      destination: `${d.url}/login.srf`, inResponseTo: id, authnContextClassRef: 'http://schemas.microsoft.com/claims/multipleauthn',
    });
    const done = await postForm(d, '/login.srf', { SAMLResponse: Buffer.from(response).toString('base64'), RelayState: fields.RelayState ?? '' });
    f.federation.federatedIdpMfaBehavior = null;
    assert.match(request, /RequestedAuthnContext/);
    assert.match(done.text, /data-mfa="done-by-idp"/);
  });
});
