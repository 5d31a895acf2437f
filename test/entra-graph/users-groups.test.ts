import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { newClientCertificate } from '../entra/certs.js';
import { httpsRequest } from '../entra/https-client.js';
import { graphAs, tokenFor, type Graph } from './client.js';

type Body = Record<string, unknown> & { value: Record<string, unknown>[]; error: { code: string; message: string; innerError: Record<string, string> } };

describe('Entra double Graph users and groups', () => {
  let double: EntraDouble;
  let graph: Graph;
  const newUser = (upn: string, extra: Record<string, unknown> = {}) => ({
    accountEnabled: true, displayName: upn, mailNickname: upn.split('@')[0], userPrincipalName: upn,
    passwordProfile: { password: 'Xy!23456789abc', forceChangePasswordNextSignIn: false }, ...extra,
  });
  before(async () => {
    double = await startEntraDouble();
    double.tenant.addDomain('contoso.com');
    double.tenant.addDomain('fabrikam.com');
    double.tenant.addDomain('unverified.com', { isVerified: false });
    const cert = await newClientCertificate('sts.fabrikam.com');
    double.tenant.federate('fabrikam.com', {
      issuerUri: 'http://fabrikam.com/adfs/services/trust', passiveSignInUri: 'https://sts.fabrikam.com/adfs/ls',
      signingCertificate: cert.certificatePem.replace(/-----[^-]+-----|\s/g, ''),
    });
    graph = await graphAs(double, ['User.ReadWrite.All', 'Group.ReadWrite.All']);
  });
  after(() => double.close());

  it('creates a user with the required properties and returns the default property set', async () => {
    const res = await graph('POST', '/users', newUser('ann@contoso.com'));
    assert.equal(res.status, 201);
    const body = res.json<Body>();
    assert.equal(body.userPrincipalName, 'ann@contoso.com');
    assert.ok(!('passwordProfile' in body) && !('onPremisesImmutableId' in body));
    assert.ok(double.tenant.findUserByUpn('ANN@contoso.com'));
  });

  for (const missing of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
    it(`refuses a user without ${missing}`, async () => {
      const body: Record<string, unknown> = newUser('nobody@contoso.com');
      delete body[missing];
      const res = await graph('POST', '/users', body);
      assert.equal(res.status, 400);
      assert.match(res.json<Body>().error.message, new RegExp(`'${missing}'`));
    });
  }

  it('refuses a UPN whose suffix is not a verified domain of the tenant', async () => {
    for (const upn of ['bob@unverified.com', 'bob@elsewhere.org']) {
      const res = await graph('POST', '/users', newUser(upn));
      assert.equal(res.status, 400);
      assert.match(res.json<Body>().error.message, /verified domain/);
    }
  });

  it('answers a duplicate UPN as Graph does: 400 "Another object with the same value…"', async () => {
    const res = await graph('POST', '/users', newUser('Ann@Contoso.com'));
    assert.equal(res.status, 400);
    assert.equal(res.json<Body>().error.message, 'Another object with the same value for property userPrincipalName already exists.');
  });

  it('requires onPremisesImmutableId for a user in a federated domain and refuses $ and _ in it', async () => {
    assert.equal((await graph('POST', '/users', newUser('fed@fabrikam.com'))).status, 400);
    for (const bad of ['abc$def', 'abc_def']) {
      const res = await graph('POST', '/users', newUser('fed@fabrikam.com', { onPremisesImmutableId: bad }));
      assert.equal(res.status, 400);
      assert.match(res.json<Body>().error.message, /onPremisesImmutableId/);
    }
    assert.equal((await graph('POST', '/users', newUser('fed@fabrikam.com', { onPremisesImmutableId: 'RDMiEWZViHeZqrvM3e7/AA==' }))).status, 201);
    const dup = await graph('POST', '/users', newUser('fed2@fabrikam.com', { onPremisesImmutableId: 'RDMiEWZViHeZqrvM3e7/AA==' }));
    assert.equal(dup.json<Body>().error.message, 'Another object with the same value for property onPremisesImmutableId already exists.');
  });

  it('filters by onPremisesImmutableId (case-sensitive) and returns it only when selected', async () => {
    const q = (filter: string, select = '') => graph('GET', `/users?$filter=${encodeURIComponent(filter)}${select}`);
    const hit = (await q("onPremisesImmutableId eq 'RDMiEWZViHeZqrvM3e7/AA=='", '&$select=id,userPrincipalName,onPremisesImmutableId')).json<Body>();
    assert.deepEqual(hit.value.map((u) => [u.userPrincipalName, u.onPremisesImmutableId]), [['fed@fabrikam.com', 'RDMiEWZViHeZqrvM3e7/AA==']]);
    assert.equal((await q("onPremisesImmutableId eq 'rdmiewzviheZqrvM3e7/AA=='")).json<Body>().value.length, 0);
    const plain = (await q("userPrincipalName eq 'FED@fabrikam.com'")).json<Body>();
    assert.equal(plain.value.length, 1);
    assert.ok(!('onPremisesImmutableId' in (plain.value[0] ?? {})));
  });

  it('refuses filters and selects it does not support', async () => {
    assert.equal((await graph('GET', `/users?$filter=${encodeURIComponent("jobTitle eq 'x'")}`)).json<Body>().error.code, 'Request_UnsupportedQuery');
    assert.equal((await graph('GET', `/users?$filter=${encodeURIComponent("startswith(displayName,'a')")}`)).status, 400);
    assert.equal((await graph('GET', '/users?$select=nonsense')).status, 400);
  });

  it('pages with $top and an opaque @odata.nextLink until every user is seen', async () => {
    for (let i = 0; i < 5; i++) double.tenant.addUser({ userPrincipalName: `page${i}@contoso.com` });
    const seen: string[] = [];
    let next: string | undefined = '/users?$top=2&$select=userPrincipalName';
    let pages = 0;
    while (next) {
      const body: Body = (await graph('GET', next)).json<Body>();
      assert.ok(body.value.length <= 2);
      seen.push(...body.value.map((u) => String(u.userPrincipalName)));
      next = body['@odata.nextLink'] as string | undefined;
      pages++;
    }
    assert.equal(seen.length, double.tenant.users.size);
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(pages, Math.ceil(seen.length / 2));
  });

  it('updates a user, and refuses to move it to an unverified domain', async () => {
    const ann = double.tenant.findUserByUpn('ann@contoso.com');
    assert.ok(ann);
    assert.equal((await graph('PATCH', `/users/${ann.id}`, { jobTitle: 'Engineer' })).status, 204);
    assert.equal(ann.jobTitle, 'Engineer');
    assert.equal((await graph('PATCH', `/users/${ann.id}`, { userPrincipalName: 'ann@unverified.com' })).status, 400);
    assert.equal((await graph('PATCH', `/users/${ann.id}`, { favouriteColour: 'blue' })).json<Body>().error.code, 'BadRequest');
  });

  it('deletes a user into deleted items, restores it, and purges it', async () => {
    const user = double.tenant.addUser({ userPrincipalName: 'gone@contoso.com' });
    assert.equal((await graph('DELETE', `/users/${user.id}`)).status, 204);
    assert.equal((await graph('GET', `/users/${user.id}`)).status, 404);
    const deleted = (await graph('GET', '/directory/deletedItems/microsoft.graph.user')).json<Body>();
    assert.ok(deleted.value.some((u) => u.id === user.id && typeof u.deletedDateTime === 'string'));
    assert.equal((await graph('POST', `/directory/deletedItems/${user.id}/restore`)).status, 200);
    assert.equal((await graph('GET', `/users/${user.id}`)).status, 200);
    await graph('DELETE', `/users/${user.id}`);
    assert.equal((await graph('DELETE', `/directory/deletedItems/${user.id}`)).status, 204);
    assert.equal((await graph('POST', `/directory/deletedItems/${user.id}/restore`)).status, 404);
  });

  it('forgets deleted items after 30 days', async () => {
    const user = double.tenant.addUser({ userPrincipalName: 'old@contoso.com' });
    await graph('DELETE', `/users/${user.id}`);
    const realNow = double.tenant.now;
    double.tenant.now = () => new Date(Date.now() + 31 * 24 * 3600 * 1000);
    try {
      assert.equal((await graph('POST', `/directory/deletedItems/${user.id}/restore`)).status, 404);
    } finally {
      double.tenant.now = realNow;
    }
  });

  it('reports changes since a delta link, deletions as @removed', async () => {
    let first: Body = (await graph('GET', '/users/delta?$select=userPrincipalName')).json<Body>();
    while (first['@odata.nextLink']) first = (await graph('GET', String(first['@odata.nextLink']))).json<Body>();
    const deltaLink = String(first['@odata.deltaLink']);
    assert.ok(new URL(deltaLink).searchParams.has('$deltatoken'));
    const changed = double.tenant.addUser({ userPrincipalName: 'new@contoso.com' });
    const removed = double.tenant.findUserByUpn('page0@contoso.com');
    assert.ok(removed);
    await graph('DELETE', `/users/${removed.id}`);
    const round = (await graph('GET', deltaLink)).json<Body>();
    assert.deepEqual(round.value, [
      { id: changed.id, userPrincipalName: 'new@contoso.com' },
      { id: removed.id, '@removed': { reason: 'changed' } },
    ]);
    const quiet = (await graph('GET', String(round['@odata.deltaLink']))).json<Body>();
    assert.deepEqual(quiet.value, []);
  });

  it('creates a group and adds and removes members by $ref and members@odata.bind', async () => {
    const res = await graph('POST', '/groups', { displayName: 'Sales', mailEnabled: false, mailNickname: 'sales', securityEnabled: true });
    assert.equal(res.status, 201);
    const groupId = String(res.json<Body>().id);
    const [a, b, c] = ['m1', 'm2', 'm3'].map((n) => double.tenant.addUser({ userPrincipalName: `${n}@contoso.com` }));
    assert.ok(a && b && c);
    const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });
    assert.equal((await graph('POST', `/groups/${groupId}/members/$ref`, ref(a.id))).status, 204);
    const again = await graph('POST', `/groups/${groupId}/members/$ref`, ref(a.id));
    assert.equal(again.status, 400);
    assert.match(again.json<Body>().error.message, /already exist/);
    const bind = [b.id, c.id].map((id) => `https://graph.microsoft.com/v1.0/directoryObjects/${id}`);
    assert.equal((await graph('PATCH', `/groups/${groupId}`, { 'members@odata.bind': bind })).status, 204);
    assert.deepEqual([...(double.tenant.groups.get(groupId)?.members ?? [])], [a.id, b.id, c.id]);
    assert.equal((await graph('DELETE', `/groups/${groupId}/members/${b.id}/$ref`)).status, 204);
    assert.equal((await graph('DELETE', `/groups/${groupId}/members/${b.id}/$ref`)).status, 404);
    const members = (await graph('GET', `/groups/${groupId}/members`)).json<Body>();
    assert.deepEqual(members.value.map((m) => m.id), [a.id, c.id]);
  });

  it('refuses more than 20 members@odata.bind in one PATCH and a group without required properties', async () => {
    const group = double.tenant.addGroup({ displayName: 'Big' });
    const users = Array.from({ length: 21 }, (_, i) => double.tenant.addUser({ userPrincipalName: `bulk${i}@contoso.com` }));
    const bind = users.map((u) => `https://graph.microsoft.com/v1.0/directoryObjects/${u.id}`);
    assert.equal((await graph('PATCH', `/groups/${group.id}`, { 'members@odata.bind': bind })).status, 400);
    assert.equal(group.members.size, 0);
    assert.equal((await graph('PATCH', `/groups/${group.id}`, { 'members@odata.bind': bind.slice(0, 20) })).status, 204);
    assert.equal(group.members.size, 20);
    assert.equal((await graph('POST', '/groups', { displayName: 'NoNick', mailEnabled: false, securityEnabled: true })).status, 400);
  });

  it('echoes client-request-id and sends request-id on every answer', async () => {
    const res = await graph('GET', '/users/00000000-0000-0000-0000-000000000000', undefined, { 'client-request-id': 'abc-123' });
    assert.equal(res.status, 404);
    assert.equal(res.headers['client-request-id'], 'abc-123');
    const error = res.json<Body>().error;
    assert.equal(error.code, 'Request_ResourceNotFound');
    assert.equal(error.innerError['request-id'], res.headers['request-id']);
  });

  it('refuses a body that is not JSON with 400 BadRequest', async () => {
    const token = await tokenFor(double, await double.tenant.addApp({ roles: ['User.ReadWrite.All'] }));
    const ann = double.tenant.findUserByUpn('ann@contoso.com');
    const res = await httpsRequest(`${double.url}/v1.0/users/${ann?.id}`, {
      method: 'PATCH', ca: double.caCertPem, body: '{oops', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json<Body>().error.code, 'BadRequest');
  });
});
