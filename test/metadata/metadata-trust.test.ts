import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../config/schema.js';
import { createLogger } from '../../health/log.js';
import { keepTrusts } from '../../metadata/keep-trusts.js';
import { addMetadataTrust, refreshDueTrusts, removeMetadataTrust, sourceOf } from '../../metadata/metadata-trust.js';
import { MetadataRefused } from '../../metadata/sp-metadata.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { Store } from '../../store/types.js';
import { TrustRegistry } from '../../sts/trusts/trust.js';
import { samlifySpMetadata, startMetadataServer } from '../support/sp-metadata.js';

const log = createLogger('silent');
const rejects = (p: Promise<unknown>, pattern: RegExp) => assert.rejects(p, (err: unknown) => err instanceof MetadataRefused && pattern.test(err.message));

describe('trusts added from metadata, kept in the store and refreshed', () => {
  let server: Awaited<ReturnType<typeof startMetadataServer>>;
  let store: Store;
  let dir: string;
  let config: ReturnType<typeof configFor>;
  let sp: Awaited<ReturnType<typeof samlifySpMetadata>>;
  const configFor = (caFile: string | undefined, over: Record<string, unknown> = {}) => {
    const parsed = configSchema.parse({
      directory: { kind: 'file', path: 'users.yaml' },
      federation: { domains: [{ name: 'corp.example.com' }] },
      keys: { keyEncryptionKey: Buffer.alloc(32, 1).toString('base64') },
      trusts: [{ identifier: 'urn:app:configured', name: 'Configured', replyUrls: ['https://configured.example.org/'] }],
      partnerMetadata: { caFile, timeoutMs: 1500, maxBytes: 64 * 1024, ...over },
    });
    return { entra: parsed.entra, trusts: parsed.trusts, partnerMetadata: parsed.partnerMetadata };
  };
  before(async () => {
    server = await startMetadataServer();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-trusts-'));
    await writeFile(join(dir, 'ca.pem'), server.caPem);
    config = configFor(join(dir, 'ca.pem'));
    store = sqliteStore(join(dir, 'g.db'));
    sp = await samlifySpMetadata();
    server.documents.set('/sp.xml', sp.xml);
  });
  after(async () => {
    await store?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds the trust an HTTPS metadata URL describes, and the same entityID again replaces it (version 2), both audited', async () => {
    const first = await addMetadataTrust(config, store, sourceOf(server.url('/sp.xml')), { name: 'Wiki' });
    assert.deepEqual([first.replaced, first.trust.version, first.trust.id], [false, 1, 'https://sp.example.org/metadata']);
    const again = await addMetadataTrust(config, store, sourceOf(server.url('/sp.xml')), { name: 'Wiki 2', allowIdpInitiated: true });
    assert.deepEqual([again.replaced, again.trust.version], [true, 2]);
    const [stored] = await store.trusts.list();
    assert.deepEqual([stored?.trust.name, (stored?.trust.saml as { allowIdpInitiated: boolean }).allowIdpInitiated, stored?.source], ['Wiki 2', true, { kind: 'url', url: server.url('/sp.xml') }]);
    const events = await store.audit.recent(10);
    assert.deepEqual(events.slice(0, 2).map((e) => [e.type, e.relyingParty]), [['trust.replaced', sp.entityId], ['trust.added', sp.entityId]]);
  });

  it('adds from a file, keeping its content so every node has it', async () => {
    const file = join(dir, 'payroll.xml');
    const other = await samlifySpMetadata({ entityId: 'urn:app:file', acs: 'https://file.example.org' });
    await writeFile(file, other.xml);
    const { trust } = await addMetadataTrust(config, store, sourceOf('payroll.xml', dir), {});
    assert.deepEqual([trust.source, trust.metadata], [{ kind: 'file', file }, other.xml]);
    await removeMetadataTrust(config, store, 'URN:APP:FILE');
    assert.equal(await store.trusts.get('urn:app:file'), undefined, 'identifiers match case-insensitively');
    await rejects(removeMetadataTrust(config, store, 'urn:app:file'), /no trust urn:app:file was added from metadata/);
  });

  it('refuses a trust the config (or Entra) defines, and removing one', async () => {
    server.documents.set('/configured.xml', (await samlifySpMetadata({ entityId: 'urn:app:configured' })).xml);
    await rejects(addMetadataTrust(config, store, sourceOf(server.url('/configured.xml')), {}), /the config defines a trust with the identifier urn:app:configured/);
    server.documents.set('/entra.xml', (await samlifySpMetadata({ entityId: 'urn:federation:MicrosoftOnline' })).xml);
    await rejects(addMetadataTrust(config, store, sourceOf(server.url('/entra.xml')), {}), /the config defines/);
    await rejects(removeMetadataTrust(config, store, 'urn:app:configured'), /defined in the config/);
  });

  it('fetches only over https from a server with a trusted certificate, within the size and time limits, following no redirect', async () => {
    await rejects(addMetadataTrust(config, store, sourceOf(server.url('/sp.xml').replace('https:', 'http:')), {}), /fetched over https only/);
    server.documents.set('/big.xml', `${sp.xml}<!--${'x'.repeat(70 * 1024)}-->`);
    await rejects(addMetadataTrust(config, store, sourceOf(server.url('/big.xml')), {}), /big\.xml: more than partnerMetadata.maxBytes \(65536\) bytes/);
    server.documents.set('/moved.xml', { status: 302 });
    await rejects(addMetadataTrust(config, store, sourceOf(server.url('/moved.xml')), {}), /answered HTTP 302/);
    server.documents.set('/hang.xml', { hang: true });
    const started = Date.now();
    await rejects(addMetadataTrust(config, store, sourceOf(server.url('/hang.xml')), {}), /hang\.xml: /);
    assert.ok(Date.now() - started < 5000, 'the time limit ended the fetch');
    await rejects(addMetadataTrust(configFor(undefined), store, sourceOf(server.url('/sp.xml')), {}), /sp\.xml: self-signed certificate/);
  });

  it('refreshes a due URL trust when its document changed, and keeps the old trust when the fetch fails (recorded and audited)', async () => {
    const t0 = new Date(Date.now() + 60_000);
    const due = new Date(t0.getTime() + 1441 * 60_000);
    assert.deepEqual(await refreshDueTrusts(store, config.partnerMetadata, log, t0), { refreshed: 0, failed: 0 }, 'not due yet (refreshMinutes 1440)');
    const moved = await samlifySpMetadata({ acs: 'https://sp2.example.org', cert: sp.cert });
    server.documents.set('/sp.xml', moved.xml);
    assert.deepEqual(await refreshDueTrusts(store, config.partnerMetadata, log, due), { refreshed: 1, failed: 0 });
    let stored = await store.trusts.get('https://sp.example.org/metadata');
    assert.deepEqual([stored?.version, stored?.trust.replyUrls, stored?.trust.name], [3, ['https://sp2.example.org/acs', 'https://sp2.example.org/acs-redirect'], 'Wiki 2'], 'the operator’s options are kept');

    server.documents.set('/sp.xml', { status: 503 });
    const later = new Date(due.getTime() + 1441 * 60_000);
    assert.deepEqual(await refreshDueTrusts(store, config.partnerMetadata, log, later), { refreshed: 0, failed: 1 });
    stored = await store.trusts.get('https://sp.example.org/metadata');
    assert.equal(stored?.version, 3, 'the old trust is kept');
    assert.deepEqual(stored?.lastRefresh, { at: later, ok: false, message: `${server.url('/sp.xml')} answered HTTP 503` });
    const [failure] = await store.audit.recent(1, { type: 'trust.refresh-failed' });
    assert.deepEqual([failure?.outcome, failure?.relyingParty, failure?.reason], ['failure', sp.entityId, `${server.url('/sp.xml')} answered HTTP 503`]);

    server.documents.set('/sp.xml', (await samlifySpMetadata({ entityId: 'https://impostor.example.org/' })).xml);
    const next = new Date(later.getTime() + 1441 * 60_000);
    assert.deepEqual(await refreshDueTrusts(store, config.partnerMetadata, log, next), { refreshed: 0, failed: 1 });
    assert.match((await store.trusts.get('https://sp.example.org/metadata'))!.lastRefresh.message, /now names the entityID https:\/\/impostor/);
    server.documents.set('/sp.xml', moved.xml);
  });

  it('is re-read by the registry every cycle: an added trust is found, a removed one no longer, a config trust always wins', async () => {
    const registry = TrustRegistry.fromConfig(config);
    const keeper = keepTrusts({ store, registry, settings: config.partnerMetadata, log, now: () => new Date() });
    try {
      await keeper.cycle();
      assert.equal(registry.find('HTTPS://SP.EXAMPLE.ORG/METADATA/')?.name, 'Wiki 2');
      assert.equal(registry.find('urn:app:configured')?.name, 'Configured');
      await store.trusts.put({ ...(await store.trusts.get('https://sp.example.org/metadata'))!, id: 'urn:app:configured', trust: { identifier: 'urn:app:configured', name: 'Impostor', replyUrls: ['https://impostor.example.org/'] } });
      await removeMetadataTrust(config, store, sp.entityId);
      await keeper.cycle();
      assert.equal(registry.find(sp.entityId), undefined);
      assert.equal(registry.find('urn:app:configured')?.name, 'Configured', 'a stored trust never replaces a config trust');
    } finally {
      await keeper.stop();
    }
  });
});
