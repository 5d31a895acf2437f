import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { newClientCertificate } from '../entra/certs.js';
import { graphAs, type Graph } from './client.js';

type Body = Record<string, unknown> & { value: Record<string, unknown>[]; error: { code: string; message: string } };

describe('Entra double domains and federationConfiguration', () => {
  let double: EntraDouble;
  let graph: Graph;
  let certB64: string;
  let certPem: string;
  const config = (issuer: string, extra: Record<string, unknown> = {}) => ({
    '@odata.type': '#microsoft.graph.internalDomainFederation', displayName: 'Gatehouse', issuerUri: issuer,
    metadataExchangeUri: 'https://sts.contoso.com/adfs/services/trust/mex', signingCertificate: certB64,
    passiveSignInUri: 'https://sts.contoso.com/adfs/ls', preferredAuthenticationProtocol: 'wsFed',
    activeSignInUri: 'https://sts.contoso.com/adfs/services/trust/2005/usernamemixed', signOutUri: 'https://sts.contoso.com/adfs/ls',
    federatedIdpMfaBehavior: 'acceptIfMfaDoneByFederatedIdp', ...extra,
  });
  before(async () => {
    double = await startEntraDouble();
    double.tenant.addDomain('contoso.com');
    double.tenant.addDomain('fabrikam.com');
    double.tenant.addDomain('pending.com', { isVerified: false });
    certPem = (await newClientCertificate('sts.contoso.com')).certificatePem;
    certB64 = certPem.replace(/-----[^-]+-----|\s/g, '');
    graph = await graphAs(double, ['Domain-InternalFederation.ReadWrite.All', 'Domain.Read.All']);
  });
  after(() => double.close());

  it('lists the tenant domains with their authentication type', async () => {
    const body = (await graph('GET', '/domains')).json<Body>();
    const initial = body.value.find((d) => d.isInitial === true);
    assert.equal(initial?.id, double.tenant.initialDomain);
    assert.equal(body.value.find((d) => d.id === 'contoso.com')?.authenticationType, 'Managed');
  });

  it('creates a federation configuration (201) that turns the domain Federated and lists as the only one', async () => {
    const res = await graph('POST', '/domains/contoso.com/federationConfiguration', config('http://contoso.com/adfs/services/trust'));
    assert.equal(res.status, 201);
    const created = res.json<Body>();
    assert.equal(created.issuerUri, 'http://contoso.com/adfs/services/trust');
    assert.equal(double.tenant.domains.get('contoso.com')?.authenticationType, 'Federated');
    const list = (await graph('GET', '/domains/contoso.com/federationConfiguration')).json<Body>();
    assert.deepEqual(list.value.map((f) => f.id), [created.id]);
    assert.equal((await graph('GET', `/domains/contoso.com/federationConfiguration/${String(created.id)}`)).json<Body>().signingCertificate, certB64);
    assert.equal(double.tenant.federatedDomainByIssuer('http://contoso.com/adfs/services/trust')?.id, 'contoso.com');
  });

  it('refuses a second configuration, the initial domain, and an unverified domain', async () => {
    assert.equal((await graph('POST', '/domains/contoso.com/federationConfiguration', config('http://other/'))).status, 400);
    assert.equal((await graph('POST', `/domains/${double.tenant.initialDomain}/federationConfiguration`, config('http://initial/'))).status, 400);
    assert.equal((await graph('POST', '/domains/pending.com/federationConfiguration', config('http://pending/'))).status, 400);
    assert.equal((await graph('POST', '/domains/nowhere.com/federationConfiguration', config('http://nowhere/'))).status, 404);
  });

  it('refuses an issuerUri another domain already uses', async () => {
    const res = await graph('POST', '/domains/fabrikam.com/federationConfiguration', config('http://contoso.com/adfs/services/trust'));
    assert.equal(res.status, 400);
    assert.match(res.json<Body>().error.message, /issuerUri/);
    assert.equal(double.tenant.domains.get('fabrikam.com')?.authenticationType, 'Managed');
  });

  it('refuses missing required properties, bad enum values and a PEM-armoured certificate', async () => {
    const { issuerUri: _drop, ...noIssuer } = config('http://fabrikam.com/adfs/services/trust/');
    assert.equal((await graph('POST', '/domains/fabrikam.com/federationConfiguration', noIssuer)).status, 400);
    const bad = [{ preferredAuthenticationProtocol: 'kerberos' }, { signingCertificate: certPem }, { nextSigningCertificate: 'bm90IGEgY2VydA==' }];
    for (const extra of bad) {
      const res = await graph('POST', '/domains/fabrikam.com/federationConfiguration', config('http://fabrikam.com/adfs/services/trust/', extra));
      assert.equal(res.status, 400, JSON.stringify(extra).slice(0, 40));
    }
    assert.equal(double.tenant.domains.get('fabrikam.com')?.federation, null);
  });

  it('updates nextSigningCertificate with PATCH and deletes the configuration back to Managed', async () => {
    const id = double.tenant.domains.get('contoso.com')?.federation?.id;
    assert.ok(id);
    const next = (await newClientCertificate('next')).certificatePem.replace(/-----[^-]+-----|\s/g, '');
    assert.equal((await graph('PATCH', `/domains/contoso.com/federationConfiguration/${id}`, { nextSigningCertificate: next })).status, 204);
    assert.equal(double.tenant.domains.get('contoso.com')?.federation?.nextSigningCertificate, next);
    assert.equal((await graph('PATCH', `/domains/contoso.com/federationConfiguration/${id}`, { federatedIdpMfaBehavior: 'sometimes' })).status, 400);
    assert.equal((await graph('DELETE', `/domains/contoso.com/federationConfiguration/${id}`)).status, 204);
    assert.equal(double.tenant.domains.get('contoso.com')?.authenticationType, 'Managed');
    assert.equal((await graph('GET', `/domains/contoso.com/federationConfiguration/${id}`)).status, 404);
  });

  it('turns a federated domain Managed with PATCH authenticationType, which needs Domain-InternalFederation.ReadWrite.All', async () => {
    assert.equal((await graph('POST', '/domains/fabrikam.com/federationConfiguration', config('http://fabrikam.com/adfs/services/trust/'))).status, 201);
    const domainOnly = await graphAs(double, ['Domain.ReadWrite.All']);
    assert.equal((await domainOnly('PATCH', '/domains/fabrikam.com', { authenticationType: 'Managed' })).status, 403);
    assert.equal((await graph('PATCH', '/domains/fabrikam.com', { authenticationType: 'Managed' })).status, 204);
    assert.equal(double.tenant.domains.get('fabrikam.com')?.federation, null);
  });

  it('denies federation writes to an app with only read permissions', async () => {
    const reader = await graphAs(double, ['Domain-InternalFederation.Read.All']);
    assert.equal((await reader('GET', '/domains/contoso.com/federationConfiguration')).status, 200);
    const res = await reader('POST', '/domains/contoso.com/federationConfiguration', config('http://contoso.com/x'));
    assert.equal(res.status, 403);
    assert.equal(res.json<Body>().error.code, 'Authorization_RequestDenied');
  });
});
