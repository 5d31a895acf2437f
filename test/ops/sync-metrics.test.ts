import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminClient, total } from '../support/admin-client.js';
import { graphSectionFor } from '../support/entra-graph-config.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { tempDir } from '../support/tmp.js';
import { addUser, makeEngine, syncWorld, type SyncWorld } from '../sync/helpers.js';

const TOKEN = 'sync-metrics-scraper-token-0123456789';

/*
 * A real AD → Entra sync run (Samba → the Graph double) written to the running Gatehouse's
 * store: /metrics, /health and the health page report that run.
 */
describe('admin listener: the last sync run, from a real run', () => {
  let w: SyncWorld;
  let gh: RunningTestGatehouse;
  let admin: ReturnType<typeof adminClient>;

  before(async () => {
    w = await syncWorld('OpsMetrics');
    for (const sam of ['ops-ann', 'ops-ben']) await addUser(w.ad, w.ou, `${sam}${w.tag}`);
    const dir = await tempDir('gatehouse-sync-metrics-');
    gh = await startTestGatehouse({
      directory: testBedDirectory(w.bed, w.bed.caCertPath),
      domains: [w.bed.realm],
      extra: { admin: { enabled: true, port: 0, token: TOKEN }, graph: await graphSectionFor(w.double, dir), sync: { ous: [w.ou] } },
    });
    admin = adminClient(gh.ops.adminPort!, gh.tlsCertPem, TOKEN);
  });
  after(async () => {
    await admin?.close();
    await gh?.stop();
    await w?.close();
  });

  it('shows no sync before the first run', async () => {
    const s = await admin.scrape();
    assert.equal(s.filter((x) => x.name.startsWith('gatehouse_sync_last_run')).length, 0);
  });

  it('reports the run’s result, age and object counts', async () => {
    const sync = makeEngine(w, { store: gh.runtime.store.sync });
    let report;
    try {
      report = await sync.engine.run({ full: true });
    } finally {
      await sync.close();
    }
    assert.equal(report.run.outcome, 'success');
    const s = await admin.scrape();
    assert.equal(total(s, 'gatehouse_sync_last_run_success', { outcome: 'success', mode: 'full' }), 1);
    const age = total(s, 'gatehouse_sync_last_run_age_seconds');
    assert.ok(age >= 0 && age < 60, String(age));
    const [run] = await gh.runtime.store.sync.recentRuns(1);
    assert.ok(Object.keys(run!.counts).length > 0);
    for (const [count, n] of Object.entries(run!.counts)) assert.equal(total(s, 'gatehouse_sync_last_run_objects', { count }), n, count);
    assert.ok(Object.values(run!.counts).some((n) => n >= 2), JSON.stringify(run!.counts));

    const health = JSON.parse((await admin.get('/health')).text) as { checks: { part: string; status: string; detail: string }[] };
    const check = health.checks.find((c) => c.part === 'sync');
    assert.equal(check?.status, 'pass');
    assert.match(check!.detail, /^last run full success 0 min ago$/);
    assert.match((await admin.get('/')).text, /<section id="sync"><h2>Last sync run<\/h2><p><span class="dot pass"><\/span><strong>success<\/strong> · full/);
  });
});
