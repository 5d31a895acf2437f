import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { outcome } from '../../entra/directory-objects.js';
import type { NewDomainFederation } from '../../entra/domains.js';
import { GraphClient } from '../../entra/graph-client.js';
import { GraphError } from '../../entra/graph-error.js';
import { Http } from '../../entra/http.js';
import { graphTokenProvider } from '../../entra/token.js';
import { newClientCertificate } from '../entra/certs.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';

/** base64 DER of a fresh certificate, as Graph wants signingCertificate (ENTRA.md §1.2). */
const certificateB64 = async (name: string) => (await newClientCertificate(name)).certificatePem.replace(/-----[^-]+-----|\s/g, '');

describe('typed Graph client against the Entra double', () => {
  let double: EntraDouble;
  let http: Http;
  const clientWith = async (roles: string[]) => {
    const app = await double.tenant.addApp({ roles });
    const token = graphTokenProvider({ tenantId: double.tenant.id, clientId: app.clientId, credential: { clientSecret: app.secret }, authorityHost: double.url }, http);
    return new GraphClient({ graphUrl: double.url, http, token, maxConcurrentBatches: 2, retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 100 } });
  };
  let graph: GraphClient;
  let signing: string;
  const settings = (issuerUri: string, extra: Partial<NewDomainFederation> = {}): NewDomainFederation => ({
    displayName: 'Gatehouse', issuerUri, passiveSignInUri: 'https://sts.contoso.com/adfs/ls', signingCertificate: signing,
    activeSignInUri: 'https://sts.contoso.com/adfs/services/trust/2005/usernamemixed', metadataExchangeUri: 'https://sts.contoso.com/adfs/services/trust/mex',
    preferredAuthenticationProtocol: 'wsFed', federatedIdpMfaBehavior: 'acceptIfMfaDoneByFederatedIdp', ...extra,
  });

  before(async () => {
    double = await startEntraDouble();
    http = new Http({ timeoutMs: 10_000, caPem: double.caCertPem });
    double.tenant.addDomain('contoso.com');
    double.tenant.addDomain('fabrikam.com');
    double.tenant.addDomain('pending.com', { isVerified: false });
    signing = await certificateB64('sts.contoso.com');
    graph = await clientWith(['Domain-InternalFederation.ReadWrite.All', 'Domain.Read.All', 'User.ReadWrite.All', 'Group.ReadWrite.All']);
  });
  after(async () => {
    await http.close();
    await double.close();
  });

  it('lists the tenant domains and gets one by name, undefined for a name the tenant lacks', async () => {
    const domains = await graph.domains.list();
    assert.deepEqual(domains.map((d) => d.id).sort(), ['contoso.com', double.tenant.initialDomain, 'fabrikam.com', 'pending.com'].sort());
    assert.equal(domains.find((d) => d.isInitial)?.id, double.tenant.initialDomain);
    assert.equal(domains.find((d) => d.id === 'pending.com')?.isVerified, false);
    const contoso = await graph.domains.get('contoso.com');
    assert.deepEqual(contoso && { id: contoso.id, authenticationType: contoso.authenticationType, isVerified: contoso.isVerified }, { id: 'contoso.com', authenticationType: 'Managed', isVerified: true });
    assert.ok(!('@odata.context' in (contoso ?? {})));
    assert.equal(await graph.domains.get('nowhere.com'), undefined);
  });

  it('creates a domain federation (the domain turns Federated), lists it as the only one and reads it back', async () => {
    assert.deepEqual(await graph.domains.federation.list('contoso.com'), []);
    const created = await graph.domains.federation.create('contoso.com', settings('http://contoso.com/adfs/services/trust'));
    assert.equal(created.issuerUri, 'http://contoso.com/adfs/services/trust');
    assert.equal(created.signingCertificate, signing);
    assert.equal(created.nextSigningCertificate, null);
    assert.equal(created.signOutUri, 'https://sts.contoso.com/adfs/ls', 'Entra defaults signOutUri to the passive URL');
    assert.equal(created.isSignedAuthenticationRequestRequired, false);
    assert.ok(!('@odata.type' in created));
    assert.equal((await graph.domains.get('contoso.com'))?.authenticationType, 'Federated');
    assert.deepEqual((await graph.domains.federation.list('contoso.com')).map((f) => f.id), [created.id]);
    const read = await graph.domains.federation.get('contoso.com', created.id);
    assert.equal(read?.metadataExchangeUri, 'https://sts.contoso.com/adfs/services/trust/mex');
    assert.equal(read?.activeSignInUri, 'https://sts.contoso.com/adfs/services/trust/2005/usernamemixed');
    assert.equal(read?.preferredAuthenticationProtocol, 'wsFed');
    assert.equal(read?.federatedIdpMfaBehavior, 'acceptIfMfaDoneByFederatedIdp');
    assert.equal(read?.promptLoginBehavior, null);
    assert.equal(await graph.domains.federation.get('contoso.com', '00000000-0000-0000-0000-000000000000'), undefined);
  });

  it('sets nextSigningCertificate with PATCH, leaving the other settings as they were', async () => {
    const [current] = await graph.domains.federation.list('contoso.com');
    assert.ok(current);
    const next = await certificateB64('next');
    await graph.domains.federation.update('contoso.com', current.id, { nextSigningCertificate: next, promptLoginBehavior: 'nativeSupport' });
    const after = await graph.domains.federation.get('contoso.com', current.id);
    assert.equal(after?.nextSigningCertificate, next);
    assert.equal(after?.promptLoginBehavior, 'nativeSupport');
    assert.equal(after?.signingCertificate, signing);
    assert.equal(after?.issuerUri, current.issuerUri);
  });

  it('throws GraphError with Graph\'s status and code for refused writes', async () => {
    await assert.rejects(graph.domains.federation.create('contoso.com', settings('http://contoso.com/second')), (e: unknown) => e instanceof GraphError && e.status === 400);
    await assert.rejects(graph.domains.federation.create('fabrikam.com', settings('http://contoso.com/adfs/services/trust')), (e: unknown) => e instanceof GraphError && e.status === 400 && /issuerUri/.test(e.message));
    await assert.rejects(graph.domains.federation.create('pending.com', settings('http://pending.com/adfs/services/trust/')), (e: unknown) => e instanceof GraphError && e.status === 400);
    await assert.rejects(graph.domains.federation.create('nowhere.com', settings('http://nowhere.com/adfs/services/trust/')), (e: unknown) => e instanceof GraphError && e.status === 404);
    const [current] = await graph.domains.federation.list('contoso.com');
    await assert.rejects(graph.domains.federation.update('contoso.com', current!.id, { signingCertificate: 'bm90IGEgY2VydA==' }), (e: unknown) => e instanceof GraphError && e.status === 400);
    const reader = await clientWith(['Domain-InternalFederation.Read.All']);
    assert.equal((await reader.domains.federation.list('contoso.com')).length, 1);
    await assert.rejects(reader.domains.federation.delete('contoso.com', current!.id), (e: unknown) => e instanceof GraphError && e.status === 403 && e.code === 'Authorization_RequestDenied');
    assert.equal(double.tenant.domains.get('contoso.com')?.authenticationType, 'Federated');
  });

  it('deletes the federation configuration, which turns the domain back to Managed', async () => {
    const [current] = await graph.domains.federation.list('contoso.com');
    await graph.domains.federation.delete('contoso.com', current!.id);
    assert.deepEqual(await graph.domains.federation.list('contoso.com'), []);
    assert.equal((await graph.domains.get('contoso.com'))?.authenticationType, 'Managed');
    await assert.rejects(graph.domains.federation.delete('contoso.com', current!.id), (e: unknown) => e instanceof GraphError && e.status === 404);
  });

  it('finds a user by its exact ImmutableID, + and / included, and not by another case of it', async () => {
    const user = double.tenant.addUser({ userPrincipalName: 'imm@contoso.com', onPremisesImmutableId: 'a+b/c9ZZ0w==' });
    double.tenant.addUser({ userPrincipalName: 'other@contoso.com', onPremisesImmutableId: 'A+B/C9zz0w==' });
    const found = await graph.users.findByImmutableId('a+b/c9ZZ0w==');
    assert.deepEqual(found && { id: found.id, upn: found.userPrincipalName, immutableId: found.onPremisesImmutableId }, { id: user.id, upn: 'imm@contoso.com', immutableId: 'a+b/c9ZZ0w==' });
    assert.equal(await graph.users.findByImmutableId("no'such"), undefined);
  });

  it('writes users and groups through $batch from the typed request builders', async () => {
    const { requests } = graph;
    const created = await graph.batch([
      { id: 'u', ...requests.users.create({ accountEnabled: true, displayName: 'Bee', mailNickname: 'bee', userPrincipalName: 'bee@contoso.com', mail: null }) },
      { id: 'g', ...requests.groups.create({ displayName: 'Hive', mailNickname: 'hive', mailEnabled: false, securityEnabled: true, description: null }) },
    ]);
    const userId = outcome.createdId(created.get('u')!);
    const groupId = outcome.createdId(created.get('g')!);
    assert.ok(userId && groupId, JSON.stringify([...created.values()]));
    const other = double.tenant.addUser({ userPrincipalName: 'wasp@contoso.com' });
    const writes = await graph.batch([
      { id: 'bind', ...requests.groups.addMembers(groupId, [userId]) },
      { id: 'patch', ...requests.users.update(userId, { jobTitle: 'Forager' }) },
    ]);
    assert.ok([...writes.values()].every(outcome.succeeded), JSON.stringify([...writes.values()]));
    const again = await graph.batch([{ id: 'ref', ...requests.groups.addMember(groupId, userId) }, { id: 'ref2', ...requests.groups.addMember(groupId, other.id) }]);
    assert.equal(outcome.alreadyMember(again.get('ref')!), true);
    assert.equal(outcome.succeeded(again.get('ref2')!), true);
    assert.deepEqual([...double.tenant.groups.get(groupId)!.members], [userId, other.id]);
    assert.equal(double.tenant.users.get(userId)?.jobTitle, 'Forager');
    assert.throws(() => requests.groups.addMembers(groupId, Array.from({ length: 21 }, (_, i) => String(i))), /at most 20/);

    const removed = await graph.batch([{ id: 'rm', ...requests.groups.removeMember(groupId, other.id) }, { id: 'del', ...requests.users.delete(userId) }]);
    assert.ok([...removed.values()].every(outcome.succeeded));
    assert.equal(double.tenant.deletedUsers.has(userId), true);
    const restored = await graph.batch([{ id: 'restore', ...requests.deletedItems.restore(userId) }, { id: 'gone', ...requests.groups.removeMember(groupId, other.id) }]);
    assert.equal(outcome.succeeded(restored.get('restore')!), true);
    assert.equal(outcome.notFound(restored.get('gone')!), true);
    assert.match(outcome.failure(restored.get('gone')!), /^404 \S+: /);
    assert.ok(double.tenant.users.has(userId));
  });

  it('lists every user and group with the properties sync matches on', async () => {
    for (let i = 0; i < 3; i++) double.tenant.addGroup({ displayName: `G${i}`, mailNickname: `g${i}` });
    const users = await graph.users.list();
    assert.equal(users.length, double.tenant.users.size);
    assert.ok(users.every((u) => typeof u.id === 'string' && typeof u.userPrincipalName === 'string' && 'onPremisesImmutableId' in u));
    assert.equal(users.find((u) => u.userPrincipalName === 'imm@contoso.com')?.onPremisesImmutableId, 'a+b/c9ZZ0w==');
    const groups = await graph.groups.list();
    assert.deepEqual(groups.map((g) => g.mailNickname).sort(), ['g0', 'g1', 'g2', 'hive']);
  });
});
