import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { hashPassword } from '../../directory/file-directory.js';
import { adminClient, total } from '../support/admin-client.js';
import { startReceiver, WEBHOOK_SECRET } from '../support/alert-receivers.js';
import { startFarmNode, until, type FarmConfig, type FarmNode } from '../support/farm-node.js';
import { freePort } from '../support/gatehouse.js';
import { makeLocalhostTls } from '../support/pki.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';
import { postLogin, WebClient } from '../support/web-client.js';

const TOKEN = 'farm-ops-admin-token-0123456789abcdef';
const alice = { upn: 'alice@corp.example.com', sam: 'alice', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00', displayName: 'Alice', groups: [], disabled: false };

/*
 * Two `gatehouse serve` nodes on one PostgreSQL: failed sign-ins on both add up in the store's
 * 5-minute buckets (each node's chart shows the farm's), and the failure spike they make together
 * is announced once, by whichever node holds the alerts lease.
 */
describe('a farm: the charts add up across nodes and an alert is sent once', () => {
  let pg: TestPostgres;
  let hook: Awaited<ReturnType<typeof startReceiver>>;
  let tlsPem: string;
  const nodes: FarmNode[] = [];
  const adminPorts: number[] = [];

  before(async () => {
    const dir = await tempDir('gatehouse-farm-ops-');
    pg = await startPostgres();
    hook = await startReceiver();
    const made = await makeLocalhostTls();
    tlsPem = made.certPem;
    await writeFile(join(dir, 'server.crt'), made.certPem);
    await writeFile(join(dir, 'server.key'), made.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'users.yaml'), stringify({ users: [{ ...alice, password: await hashPassword(alice.password) }] }));
    const shared: FarmConfig = {
      store: { kind: 'postgres', url: pg.url, connectTimeoutMs: 1000, statementTimeoutMs: 3000 },
      directory: { kind: 'file', path: 'users.yaml' },
      federation: { domains: [{ name: 'corp.example.com' }] },
      keys: { keyEncryptionKey: randomBytes(32).toString('base64') },
      lockout: { extranetThreshold: 0 },
      log: { level: 'warn' },
      alerts: { webhook: { url: hook.url, secret: WEBHOOK_SECRET }, intervalSeconds: 5, failureSpikePer5Minutes: 3 },
    };
    for (const name of ['a', 'b']) {
      const port = await freePort();
      adminPorts.push(port);
      nodes.push(await startFarmNode(dir, name, { ...shared, admin: { enabled: true, port, token: TOKEN } }, { certFile: 'server.crt', keyFile: 'server.key', certPem: made.certPem }));
    }
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    hook?.server.close();
    await pg?.stop();
  });

  it('counts two failures on one node and one on the other into one bucket, shown by both', async () => {
    const [a, b] = nodes;
    for (const node of [a!, a!, b!]) assert.match(await (await postLogin(new WebClient([tlsPem]), node.url, alice.upn, 'wrong')).text(), /Incorrect user ID or password/);
    // Per process: each node counts what it served.
    const scrape = (i: number) => adminClient(adminPorts[i]!, tlsPem, TOKEN);
    for (const [i, n] of [[0, 2], [1, 1]] as const) {
      const c = scrape(i);
      try {
        assert.equal(total(await c.scrape(), 'gatehouse_signin_failures_total', { reason: 'bad-password' }), n, nodes[i]!.output());
      } finally {
        await c.close();
      }
    }
    // From the store: the farm's three, on either node's page.
    for (const i of [0, 1]) {
      const c = scrape(i);
      try {
        await until(`node ${i}'s chart shows three failures`, async () => (/Failed sign-ins<\/strong> <span class="muted">3 in 24 h/.test((await c.get('/')).text) ? true : undefined), 20_000);
      } finally {
        await c.close();
      }
    }
  });

  it('announces the spike once, though both nodes evaluate', async () => {
    await until('the failure-spike alert', async () => (hook.received.length > 0 ? true : undefined), 20_000);
    // Two more evaluation rounds of both nodes: nothing further.
    await new Promise((r) => setTimeout(r, 11_000));
    assert.deepEqual(hook.received.map((r) => [r.message.status, r.message.key, r.signed]), [['firing', 'failure-spike', true]]);
    assert.match(hook.received[0]!.message.summary, /^3 sign-ins failed within five minutes/);
  });
});
