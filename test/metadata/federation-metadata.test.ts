import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ExclusiveCanonicalization } from 'xml-crypto';
import * as samlify from 'samlify';
import { Agent, fetch } from 'undici';
import { serviceIdentifier } from '../../config/load.js';
import { AdfsPath, type AdfsEndpoints } from '../../metadata/endpoints.js';
import { federationMetadataDocument } from '../../metadata/federation-metadata.js';
import { ClaimType } from '../../sts/claims/types.js';
import { childElements, elementChildren, parseXml, textOf } from '../../xml/parse.js';
import { verifyEnveloped } from '../../xml/verify.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { WebClient } from '../support/web-client.js';
import { xmlsecVerify } from '../xml/xmlsec1.js';
import { keysFromConfig } from './keys.js';
import { endpointAddresses, FED_NS, MD_NS, pemOf, readMetadata, signingCertificates } from './read-metadata.js';

const PATH = '/FederationMetadata/2007-06/FederationMetadata.xml';
const ENTITY_ID = { attr: 'ID', ns: MD_NS, element: 'EntityDescriptor' };
const STS = `{${FED_NS}}SecurityTokenServiceType`;
const APP = `{${FED_NS}}ApplicationServiceType`;
const AUTH_NS = 'http://docs.oasis-open.org/wsfed/authorization/200706';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** The fed binding declared on the element itself (not inherited), as .NET readers need it there. */
const ownFedDeclaration = (role: { getAttributeNS(ns: string, name: string): string | null }) => role.getAttributeNS(XMLNS_NS, 'fed');

describe('federation metadata document', () => {
  const input = {
    entityId: 'http://sts.corp.example.com/adfs/services/trust',
    displayName: 'Corp',
    endpoints: Object.fromEntries(Object.entries(AdfsPath).map(([k, path]) => [k, `https://sts.corp.example.com${path}`])) as AdfsEndpoints,
    signingCertificates: [Buffer.from('not a real certificate')],
  };

  it('declares xmlns:fed on each RoleDescriptor in the document but not in the canonical text it is signed over', () => {
    const doc = federationMetadataDocument(input, '_m1');
    const md = readMetadata(doc.xml);
    assert.deepEqual([...md.roles.keys()].sort(), [APP, STS].sort());
    for (const role of md.roles.values()) assert.equal(ownFedDeclaration(role), FED_NS);
    const canonicalRoot = parseXml(doc.canonical).documentElement!;
    const canonicalRoles = childElements(canonicalRoot, MD_NS, 'RoleDescriptor');
    assert.equal(canonicalRoles.length, 2);
    for (const role of canonicalRoles) assert.equal(role.getAttributeNS(XMLNS_NS, 'fed'), null);
    const c14n = new ExclusiveCanonicalization().process(parseXml(doc.xml).documentElement as never, {});
    assert.equal(c14n, doc.canonical);
  });
});

describe('federation metadata served by a running Gatehouse', () => {
  let gh: RunningTestGatehouse;
  let web: WebClient;
  let keys: Awaited<ReturnType<typeof keysFromConfig>>;
  const fetchMetadata = async (path = PATH) => {
    const res = await web.get(gh.url + path);
    assert.equal(res.status, 200);
    return { res, xml: await res.text() };
  };

  before(async () => {
    gh = await startTestGatehouse({ directory: { users: [] }, extra: { branding: { organisation: 'Corp Example' } } });
    web = new WebClient([gh.tlsCertPem]);
    keys = await keysFromConfig(gh.config);
  });
  after(async () => {
    await keys?.close();
    await gh?.stop();
  });

  it('verifies with xmlsec1 using only the certificate it publishes, which is the active key', async () => {
    const { xml } = await fetchMetadata();
    const md = readMetadata(xml);
    const published = signingCertificates(md.roles.get(STS)!);
    assert.deepEqual(published, [(await keys.active()).certificateDer.toString('base64')]);
    const result = await xmlsecVerify(xml, pemOf(published[0]!), ENTITY_ID);
    assert.ok(result.ok, result.output);
    // The signed element is the whole document: our own verifier (xml-crypto) agrees.
    const verified = verifyEnveloped(xml, { expect: { ns: MD_NS, name: 'EntityDescriptor' }, keys: [pemOf(published[0]!)] });
    assert.equal(verified.root.getAttribute('entityID'), serviceIdentifier(gh.config));
  });

  it('fails xmlsec1 once an endpoint in it is changed', async () => {
    const { xml } = await fetchMetadata();
    const cert = pemOf(signingCertificates(readMetadata(xml).roles.get(STS)!)[0]!);
    const tampered = xml.replaceAll(`${gh.url}/adfs/ls/`, 'https://evil.example.net/adfs/ls/');
    assert.notEqual(tampered, xml);
    const result = await xmlsecVerify(tampered, cert, ENTITY_ID);
    assert.equal(result.ok, false, result.output);
  });

  it('places the Signature first and describes the STS, the application service and the SAML IdP like AD FS', async () => {
    const { xml } = await fetchMetadata();
    const md = readMetadata(xml);
    assert.equal(md.root.getAttribute('entityID'), serviceIdentifier(gh.config));
    const first = elementChildren(md.root)[0]!;
    assert.deepEqual([first.namespaceURI, first.localName], ['http://www.w3.org/2000/09/xmldsig#', 'Signature']);
    // xsi:type resolved through the namespaces in scope on RoleDescriptor, as .NET metadata readers
    // do: each one declares xmlns:fed itself, as AD FS does.
    assert.deepEqual([...md.roles.keys()].sort(), [APP, STS].sort());
    for (const role of md.roles.values()) assert.equal(ownFedDeclaration(role), FED_NS);

    const sts = md.roles.get(STS)!;
    assert.equal(sts.getAttribute('protocolSupportEnumeration'), FED_NS);
    assert.equal(sts.getAttribute('ServiceDisplayName'), 'Corp Example');
    assert.deepEqual(endpointAddresses(sts, 'PassiveRequestorEndpoint'), [`${gh.url}/adfs/ls/`]);
    assert.deepEqual(endpointAddresses(sts, 'SecurityTokenServiceEndpoint'), [`${gh.url}/adfs/services/trust/2005/usernamemixed`]);
    assert.match(xml, new RegExp(`<wsx:MetadataReference><wsa:Address>${gh.url}/adfs/services/trust/mex</wsa:Address>`));
    const tokenTypes = childElements(sts, FED_NS, 'TokenTypesOffered').flatMap((t) => childElements(t, FED_NS, 'TokenType')).map((t) => t.getAttribute('Uri'));
    assert.deepEqual(tokenTypes.sort(), ['urn:oasis:names:tc:SAML:1.0:assertion', 'urn:oasis:names:tc:SAML:2.0:assertion']);
    const claims = childElements(sts, FED_NS, 'ClaimTypesOffered').flatMap((c) => childElements(c, AUTH_NS, 'ClaimType'));
    assert.deepEqual(claims.map((c) => c.getAttribute('Uri')).sort(), Object.values(ClaimType).sort());
    for (const c of claims) assert.ok(textOf(childElements(c, AUTH_NS, 'DisplayName')[0]!).length > 0);

    const app = md.roles.get(APP)!;
    assert.deepEqual(endpointAddresses(app, 'ApplicationServiceEndpoint'), [`${gh.url}/adfs/ls/`]);
    assert.deepEqual(endpointAddresses(app, 'PassiveRequestorEndpoint'), [`${gh.url}/adfs/ls/`]);

    const sso = childElements(md.idpSso, MD_NS, 'SingleSignOnService').map((s) => [s.getAttribute('Binding'), s.getAttribute('Location')]);
    assert.deepEqual(sso, [
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', `${gh.url}/adfs/ls/`],
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', `${gh.url}/adfs/ls/`],
    ]);
    assert.equal(childElements(md.idpSso, MD_NS, 'SingleLogoutService').length, 2);
    // Exactly the formats the SAML adapter issues (sts/tokens/claims-to-saml2.ts).
    assert.deepEqual(childElements(md.idpSso, MD_NS, 'NameIDFormat').map(textOf).sort(), [
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
    ]);
  });

  it('is read by samlify as an identity provider with its SSO endpoints and signing certificate', async () => {
    const { xml } = await fetchMetadata();
    const idp = samlify.IdentityProvider({ metadata: xml });
    assert.equal(idp.entityMeta.getEntityID(), serviceIdentifier(gh.config));
    assert.equal(idp.entityMeta.getSingleSignOnService('redirect'), `${gh.url}/adfs/ls/`);
    assert.equal(idp.entityMeta.getSingleSignOnService('post'), `${gh.url}/adfs/ls/`);
    assert.equal(idp.entityMeta.getX509Certificate('signing'), (await keys.active()).certificateDer.toString('base64'));
  });

  it('answers with the SAML metadata media type, a strong ETag and 304 for a matching If-None-Match', async () => {
    const { res } = await fetchMetadata();
    assert.match(res.headers.get('content-type') ?? '', /^application\/samlmetadata\+xml; charset=utf-8$/);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/);
    const etag = res.headers.get('etag');
    assert.match(etag ?? '', /^"[A-Za-z0-9_-]{43}"$/);
    // fetch would add Cache-Control: no-cache to a conditional request; a cache revalidating says max-age=0.
    const again = await fetch(gh.url + PATH, { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' }, dispatcher: new Agent({ connect: { ca: [gh.tlsCertPem] } }) });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
  });

  it('serves the same signed document at the lower-case path Entra polls, without re-signing', async () => {
    const upper = await fetchMetadata();
    const lower = await fetchMetadata(PATH.toLowerCase());
    assert.equal(lower.xml, upper.xml);
    assert.equal(lower.res.headers.get('etag'), upper.res.headers.get('etag'));
  });

  it('publishes the next key beside the active one once it exists, re-signed with the active key', async () => {
    const before = await fetchMetadata();
    const next = await keys.generateNext();
    const { res, xml } = await fetchMetadata();
    assert.notEqual(res.headers.get('etag'), before.res.headers.get('etag'));
    const md = readMetadata(xml);
    const active = (await keys.active()).certificateDer.toString('base64');
    const expected = [active, next.certificateDer.toString('base64')];
    assert.deepEqual(signingCertificates(md.roles.get(STS)!), expected);
    assert.deepEqual(signingCertificates(md.idpSso), expected);
    const withActive = await xmlsecVerify(xml, pemOf(active), ENTITY_ID);
    assert.ok(withActive.ok, withActive.output);
    const withNext = await xmlsecVerify(xml, pemOf(expected[1]!), ENTITY_ID);
    assert.equal(withNext.ok, false, 'signed by the active key, not the next one');
  });
});
