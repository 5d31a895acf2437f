import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { configSchema } from '../../config/schema.js';
import { hashPassword } from '../../directory/file-directory.js';
import { createLogger } from '../../health/log.js';
import { keepTrusts } from '../../metadata/keep-trusts.js';
import { postgresStore } from '../../store/postgres/index.js';
import { TrustRegistry } from '../../sts/trusts/trust.js';
import { gatehouse } from '../support/cli.js';
import { startFarmNode, type FarmConfig, type FarmNode } from '../support/farm-node.js';
import { makeLocalhostTls } from '../support/pki.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { samlifySpMetadata, startMetadataServer } from '../support/sp-metadata.js';
import { WebClient } from '../support/web-client.js';

const RELOAD_SECONDS = 1;
const ENTITY = 'https://wiki.example.org/saml';

describe('trusts from metadata in a farm: two nodes on one PostgreSQL', () => {
  let pg: TestPostgres;
  let metadata: Awaited<ReturnType<typeof startMetadataServer>>;
  let dir: string;
  let farm: FarmConfig;
  let tls: { certFile: string; keyFile: string; certPem: string };
  let nodes: FarmNode[] = [];
  before(async () => {
    pg = await startPostgres();
    metadata = await startMetadataServer();
    metadata.documents.set('/wiki.xml', (await samlifySpMetadata({ entityId: ENTITY, acs: 'https://wiki.example.org' })).xml);
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-farm-trusts-'));
    const made = await makeLocalhostTls();
    await writeFile(join(dir, 'server.crt'), made.certPem);
    await writeFile(join(dir, 'server.key'), made.keyPem);
    await writeFile(join(dir, 'ca.pem'), metadata.caPem);
    tls = { certFile: 'server.crt', keyFile: 'server.key', certPem: made.certPem };
    await writeFile(join(dir, 'users.yaml'), stringify({ users: [{ upn: 'alice@corp.example.com', sam: 'alice', password: await hashPassword('Passw0rd!'), objectGuid: '0e5b6d2c-5d7b-4c4e-9d2a-6f0b5c1d2e3f', displayName: 'Alice', groups: [], disabled: false }] }));
    farm = {
      store: { kind: 'postgres', url: pg.url },
      directory: { kind: 'file', path: 'users.yaml' },
      federation: { domains: [{ name: 'corp.example.com' }] },
      keys: { keyEncryptionKey: Buffer.alloc(32, 7).toString('base64') },
      partnerMetadata: { reloadSeconds: RELOAD_SECONDS, caFile: 'ca.pem' },
      log: { level: 'warn' },
    };
    nodes = [await startFarmNode(dir, 'a', farm, tls), await startFarmNode(dir, 'b', farm, tls)];
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await metadata?.stop();
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const status = async (node: FarmNode) => (await new WebClient([tls.certPem]).get(`${node.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(ENTITY)}`)).status;
  async function onEveryNode(want: number): Promise<void> {
    const deadline = Date.now() + 3 * RELOAD_SECONDS * 1000 + 2000;
    for (const node of nodes) {
      while ((await status(node)) !== want) {
        if (Date.now() > deadline) throw new Error(`${node.url} did not answer ${want} within ${3 * RELOAD_SECONDS} s:\n${node.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  it('a trust the CLI adds to the farm’s store is used by both running nodes within reloadSeconds, and a removal likewise', async () => {
    await onEveryNode(400);
    const config = join(dir, 'a.yaml');
    const added = await gatehouse(['trust', 'add', '--metadata', metadata.url('/wiki.xml'), '-c', config]);
    assert.equal(added.code, 0, added.stderr);
    await onEveryNode(200);
    const removed = await gatehouse(['trust', 'remove', ENTITY, '-c', config]);
    assert.equal(removed.code, 0, removed.stderr);
    await onEveryNode(400);
  });

  it('a due metadata refresh is fetched by one node only (the refresh lease), and every node then uses the new document', async () => {
    // These two stores stand for the nodes now: the served ones stop (and free the refresh lease).
    for (const n of nodes) await n.stop();
    const parsed = configSchema.parse({ ...farm, store: undefined, partnerMetadata: { reloadSeconds: 30, caFile: join(dir, 'ca.pem') } });
    const stores = [0, 1].map(() => postgresStore({ url: pg.url, poolSize: 2, statementTimeoutMs: 5000, connectTimeoutMs: 2000, migrate: true }));
    const registries = stores.map(() => TrustRegistry.fromConfig(parsed));
    const added = await gatehouse(['trust', 'add', '--metadata', metadata.url('/wiki.xml'), '-c', join(dir, 'a.yaml')]);
    assert.equal(added.code, 0, added.stderr);
    // Both keepers see the trust as due: their clock is a day and a minute ahead.
    const ahead = () => new Date(Date.now() + 1441 * 60_000);
    const keepers = stores.map((store, i) => keepTrusts({ store, registry: registries[i]!, settings: parsed.partnerMetadata, log: createLogger('warn'), now: ahead }));
    try {
      metadata.documents.set('/wiki.xml', (await samlifySpMetadata({ entityId: ENTITY, acs: 'https://wiki2.example.org' })).xml);
      metadata.requests.length = 0;
      await Promise.all(keepers.map((k) => k.cycle()));
      await Promise.all(keepers.map((k) => k.cycle()));
      assert.deepEqual(metadata.requests, ['/wiki.xml'], 'fetched once for the farm');
      for (const r of registries) assert.equal(r.find(ENTITY)?.replyUrls[0], 'https://wiki2.example.org/acs');
    } finally {
      for (const k of keepers) await k.stop();
      for (const s of stores) await s.close();
    }
  });
});
