import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { graphAs, type Graph } from './client.js';

interface BatchItem { id: string; status: number; headers: Record<string, string>; body?: { error?: { code: string } } & Record<string, unknown> }

describe('Entra double $batch and injected faults', () => {
  let double: EntraDouble;
  let graph: Graph;
  const json = { 'Content-Type': 'application/json' };
  const user = (nick: string) => ({
    accountEnabled: true, displayName: nick, mailNickname: nick, userPrincipalName: `${nick}@contoso.com`, passwordProfile: { password: 'Xy!23456789abc' },
  });
  const batch = async (requests: unknown[]) => {
    const res = await graph('POST', '/$batch', { requests });
    return { status: res.status, body: res.json<{ responses: BatchItem[]; error?: { code: string } }>() };
  };
  const byId = (items: BatchItem[]) => new Map(items.map((i) => [i.id, i]));

  before(async () => {
    double = await startEntraDouble();
    double.tenant.addDomain('contoso.com');
    graph = await graphAs(double, ['User.ReadWrite.All', 'Group.ReadWrite.All']);
  });
  beforeEach(() => double.faults.reset());
  after(() => double.close());

  it('runs each item with its own status, throttling only the item the fault hits', async () => {
    double.faults.throttle({ method: 'POST', path: '/v1.0/users', scope: 'batch-item', retryAfterSeconds: 7 });
    const { status, body } = await batch([
      { id: '1', method: 'POST', url: '/users', headers: json, body: user('b1') },
      { id: '2', method: 'POST', url: '/users', headers: json, body: user('b2') },
      { id: '3', method: 'GET', url: '/users?$select=userPrincipalName' },
    ]);
    assert.equal(status, 200);
    const items = byId(body.responses);
    assert.equal(items.get('1')?.status, 429);
    assert.equal(items.get('1')?.headers['Retry-After'], '7');
    assert.equal(items.get('1')?.body?.error?.code, 'TooManyRequests');
    assert.equal(items.get('2')?.status, 201);
    assert.equal(items.get('3')?.status, 200);
    assert.equal(double.tenant.findUserByUpn('b1@contoso.com'), undefined);
    assert.ok(double.tenant.findUserByUpn('b2@contoso.com'));
    assert.equal(double.faults.count({ path: '/v1.0/users', scope: 'batch-item' }), 3);
  });

  it('answers 424 for an item whose dependency failed, and runs it when the dependency succeeded', async () => {
    const { body } = await batch([
      { id: 'bad', method: 'POST', url: '/users', headers: json, body: { ...user('dup'), userPrincipalName: 'b2@contoso.com' } },
      { id: 'after-bad', method: 'GET', url: '/users', dependsOn: ['bad'] },
      { id: 'good', method: 'POST', url: '/users', headers: json, body: user('c1') },
      { id: 'after-good', method: 'GET', url: `/users/c1@contoso.com`, dependsOn: ['good'] },
    ]);
    const items = byId(body.responses);
    assert.equal(items.get('bad')?.status, 400);
    assert.equal(items.get('after-bad')?.status, 424);
    assert.equal(items.get('good')?.status, 201);
    assert.equal(items.get('after-good')?.status, 200);
    assert.notDeepEqual(body.responses.map((r) => r.id), ['bad', 'after-bad', 'good', 'after-good'], 'clients must match by id, not order');
  });

  it('refuses a whole batch with duplicate ids, more than 20 items, or a body without Content-Type', async () => {
    const get = (id: string) => ({ id, method: 'GET', url: '/users' });
    assert.equal((await batch([get('1'), get('1')])).status, 400);
    assert.equal((await batch(Array.from({ length: 21 }, (_, i) => get(String(i))))).status, 400);
    assert.equal((await batch([{ id: '1', method: 'POST', url: '/users', body: user('x1') }])).status, 400);
    assert.equal((await batch([{ ...get('1'), dependsOn: ['nope'] }])).status, 400);
    assert.equal(double.tenant.findUserByUpn('x1@contoso.com'), undefined);
    assert.equal((await batch(Array.from({ length: 20 }, (_, i) => get(String(i))))).status, 200);
  });

  it('throttles whole requests with 429 and Retry-After, then serves the retry', async () => {
    double.faults.throttle({ path: '/v1.0/users', count: 2, retryAfterSeconds: 3 });
    const first = await graph('GET', '/users');
    assert.equal(first.status, 429);
    assert.equal(first.headers['retry-after'], '3');
    assert.equal((await graph('GET', '/users')).status, 429);
    assert.equal((await graph('GET', '/users')).status, 200);
    assert.equal(double.faults.count({ method: 'GET', path: '/v1.0/users' }), 3);
  });

  it('answers 503 when told to, and drops the connection when told to', async () => {
    double.faults.unavailable({ path: '/v1.0/groups' });
    const res = await graph('GET', '/groups');
    assert.equal(res.status, 503);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'serviceNotAvailable');
    double.faults.drop({ path: '/v1.0/groups' });
    await assert.rejects(graph('GET', '/groups'), (err: Error & { cause?: { code?: string } }) => ['UND_ERR_SOCKET', 'ECONNRESET'].includes(err.cause?.code ?? ''));
    assert.equal((await graph('GET', '/groups')).status, 200);
    assert.deepEqual(double.faults.seen.map((s) => s.fault), ['unavailable', 'drop', null]);
  });
});
