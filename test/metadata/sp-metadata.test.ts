import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { trustFromMetadata } from '../../metadata/metadata-trust.js';
import { MetadataRefused, readPartnerMetadata } from '../../metadata/sp-metadata.js';
import { makeTestCert, type TestCert } from '../support/pki.js';
import { samlifySpMetadata, signMetadata } from '../support/sp-metadata.js';

const now = new Date();
const read = (xml: string, signingCertificate?: string) => readPartnerMetadata(xml, { signingCertificate, maxBytes: 1024 * 1024, now });
const refused = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (err: unknown) => err instanceof MetadataRefused && pattern.test(err.message));

// What a WIF / ASP.NET WS-Federation application publishes (WS-Federation 1.2 §3.1.2.2).
const wsfedMetadata = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:app:payroll">
  <RoleDescriptor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:f="http://docs.oasis-open.org/wsfed/federation/200706" xsi:type="f:ApplicationServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706">
    <f:PassiveRequestorEndpoint><EndpointReference xmlns="http://www.w3.org/2005/08/addressing"><Address>https://payroll.example.org/signin</Address></EndpointReference></f:PassiveRequestorEndpoint>
  </RoleDescriptor>
  <Organization><OrganizationName>Payroll</OrganizationName><OrganizationDisplayName>Payroll app</OrganizationDisplayName><OrganizationURL>https://payroll.example.org/</OrganizationURL></Organization>
</EntityDescriptor>`;

describe('relying-party trusts from metadata', () => {
  it('takes a single logout endpoint’s ResponseLocation, https only (Metadata §2.2.2)', () => {
    const slo = (responseLocation: string) => `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://slo.example.org/sp">
  <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://slo.example.org/slo" ResponseLocation="${responseLocation}"/>
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://slo.example.org/acs" index="0"/>
  </SPSSODescriptor>
</EntityDescriptor>`;
    const trust = trustFromMetadata(read(slo('https://slo.example.org/slo/done')), {});
    assert.deepEqual(trust.saml?.singleLogoutServices, [{ binding: 'redirect', location: 'https://slo.example.org/slo', isDefault: false, responseLocation: 'https://slo.example.org/slo/done' }]);
    refused(() => read(slo('http://slo.example.org/slo/done')), /ResponseLocation/);
  });

  let sp: Awaited<ReturnType<typeof samlifySpMetadata>>;
  let operator: TestCert;
  before(async () => {
    sp = await samlifySpMetadata();
    operator = await makeTestCert('Federation operator');
  });

  it('maps samlify SP metadata to the trust’s SAML settings: ACS with binding, index and default, SLO, certificates, AuthnRequestsSigned, WantAssertionsSigned, NameIDFormat', () => {
    const trust = trustFromMetadata(read(sp.xml), {});
    assert.equal(trust.identifier, 'https://sp.example.org/metadata');
    assert.equal(trust.name, 'https://sp.example.org/metadata', 'no Organization: the entityID names it');
    assert.deepEqual(trust.replyUrls, ['https://sp.example.org/acs', 'https://sp.example.org/acs-redirect']);
    assert.deepEqual(trust.saml, {
      assertionConsumerServices: [
        { binding: 'post', location: 'https://sp.example.org/acs', index: 0, isDefault: true },
        { binding: 'redirect', location: 'https://sp.example.org/acs-redirect', index: 1, isDefault: false },
      ],
      singleLogoutServices: [{ binding: 'redirect', location: 'https://sp.example.org/slo', isDefault: false }],
      signingCertificates: [sp.cert.certPem],
      encryptionCertificate: sp.cert.certPem,
      requireSignedRequests: true,
      sign: 'assertion',
      allowSha1: false,
      dataEncryption: 'aes256-gcm',
      nameIdFormat: 'persistent',
      allowIdpInitiated: false,
    });
  });

  it('keeps the operator’s choices, except that WantAssertionsSigned makes a signed response also sign the assertion', async () => {
    const wants = trustFromMetadata(read(sp.xml), { sign: 'response', allowIdpInitiated: true, name: 'Wiki' });
    assert.deepEqual([wants.name, wants.saml?.sign, wants.saml?.allowIdpInitiated], ['Wiki', 'both', true]);
    const relaxed = await samlifySpMetadata({ wantAssertionsSigned: false, authnRequestsSigned: false, cert: sp.cert });
    const plain = trustFromMetadata(read(relaxed.xml), { sign: 'response' });
    assert.deepEqual([plain.saml?.sign, plain.saml?.requireSignedRequests], ['response', false]);
  });

  it('maps a WS-Federation application’s PassiveRequestorEndpoint to reply URLs and its OrganizationDisplayName to the name', () => {
    const trust = trustFromMetadata(read(wsfedMetadata), {});
    assert.deepEqual([trust.identifier, trust.name, trust.replyUrls, trust.saml], ['urn:app:payroll', 'Payroll app', ['https://payroll.example.org/signin'], undefined]);
  });

  it('reads signed metadata with the configured signing certificate', () => {
    const md = read(signMetadata(sp.xml, operator), operator.certPem);
    assert.equal(md.entityId, sp.entityId);
    assert.equal(md.sp?.assertionConsumerServices[0]?.location, 'https://sp.example.org/acs');
  });

  it('refuses tampered signed metadata (an ACS moved after signing), unsigned metadata and metadata signed by another key once a signing certificate is configured', async () => {
    const signed = signMetadata(sp.xml, operator);
    const tampered = signed.replace('https://sp.example.org/acs"', 'https://evil.example.net/acs"');
    assert.notEqual(tampered, signed);
    refused(() => read(tampered, operator.certPem), /signature is not valid.*changed/);
    refused(() => read(sp.xml, operator.certPem), /signature is not valid.*not signed/);
    const other = await makeTestCert('Someone else');
    refused(() => read(signMetadata(sp.xml, other), operator.certPem), /signature is not valid.*no configured key/);
  });

  it('refuses metadata past its validUntil, on the EntityDescriptor or the SPSSODescriptor', () => {
    refused(() => read(sp.xml.replace('<EntityDescriptor ', '<EntityDescriptor validUntil="2020-01-01T00:00:00Z" ')), /expired at 2020-01-01/);
    refused(() => read(sp.xml.replace('<SPSSODescriptor ', '<SPSSODescriptor validUntil="2021-01-01T00:00:00Z" ')), /SPSSODescriptor expired/);
    const future = new Date(now.getTime() + 86_400_000).toISOString();
    assert.equal(read(sp.xml.replace('<EntityDescriptor ', `<EntityDescriptor validUntil="${future}" `)).validUntil?.toISOString(), future);
  });

  it('refuses hostile or unusable documents: a DOCTYPE, an aggregate, an http ACS, no SP or application role, a broken certificate', () => {
    refused(() => read(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${sp.xml}`), /DOCTYPE/);
    refused(() => read(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">${sp.xml}</EntitiesDescriptor>`), /expected root/);
    refused(() => read(sp.xml.replace('https://sp.example.org/acs"', 'http://sp.example.org/acs"')), /is not https/);
    refused(() => read('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:x"/>'), /no SAML 2.0 service provider/);
    refused(() => read(sp.xml.replace(/<ds:X509Certificate>MII/, '<ds:X509Certificate>AAAA')), /not a certificate/);
    refused(() => readPartnerMetadata(sp.xml, { maxBytes: 1000, now }), /exceeds the limit/);
  });
});
