import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Directory } from '../../directory/types.js';
import type { AlertChannel, AlertMessage } from '../../health/alert-channels.js';
import { Alerts, currentConditions, type AlertThresholds, type ConditionSources } from '../../health/alerts.js';
import { SignInHistory } from '../../health/history.js';
import { createLogger } from '../../health/log.js';
import { generateKey } from '../../keys/lifecycle.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { Store } from '../../store/types.js';
import { getTestBed } from '../ad/testbed.js';
import { directoryFor } from '../directory/helpers.js';
import { freePort } from '../support/gatehouse.js';
import { tempDir } from '../support/tmp.js';

const DAY = 86_400_000;
const thresholds: AlertThresholds = { certificateWarnDays: 30, rolloverStuckHours: 24, failureSpikePer5Minutes: 5 };
const policy = { autoRollover: true, generateDaysBeforeExpiry: 20, promoteDaysAfterGeneration: 5 };
const kek = Buffer.alloc(32, 4);

/** A channel that keeps what it was given, as a receiver would. */
const recorder = (name: string): AlertChannel & { got: AlertMessage[] } => {
  const got: AlertMessage[] = [];
  return { name, got, send: async (m) => void got.push(m), close: async () => undefined };
};

describe('alert conditions from the real parts: a DC down, a failure spike, sync errors, a stuck rollover', () => {
  let store: Store;
  let directory: Directory;
  let deadDc: string;
  let sources: ConditionSources;
  let clock = new Date();

  before(async () => {
    const bed = await getTestBed();
    store = sqliteStore(join(await tempDir('gatehouse-alert-conditions-'), 'store.db'));
    // A second DC that refuses connections: nothing listens on that port.
    deadDc = `ldaps://127.0.0.1:${await freePort()}`;
    directory = directoryFor(bed, { dcs: [bed.ldapsUrl, deadDc], connectTimeoutMs: 500 });
    sources = { store, policy, dcs: () => directory.checkHealth(), history: new SignInHistory(store.counters), now: () => clock };
    await generateKey(store, { kek, use: 'signing', subject: 'CN=Test Signing', validityDays: 365, keyBits: 2048 }, 'active');
  });
  after(async () => {
    await directory?.close();
    await store?.close();
  });

  it('names the DC that does not answer, and only that one', async () => {
    const found = await currentConditions(sources, thresholds);
    assert.deepEqual(found.map((c) => c.key), [`dc-down:${deadDc}`]);
    assert.equal(found[0]!.severity, 'critical');
    assert.match(String(found[0]!.details.error), /ECONNREFUSED/);
  });

  it('sees a failure spike across nodes: two nodes’ counts in the store add up to the threshold', async () => {
    const nodeA = new SignInHistory(store.counters);
    const nodeB = new SignInHistory(store.counters);
    const failure = { type: 'signin', outcome: 'failure' as const, at: new Date(), reason: 'bad-password' };
    for (let i = 0; i < 3; i++) nodeA.countAudit(failure);
    for (let i = 0; i < 1; i++) nodeB.countAudit(failure);
    await Promise.all([nodeA.flush(), nodeB.flush()]);
    assert.ok(!(await currentConditions(sources, thresholds)).some((c) => c.kind === 'failure-spike'), 'four failures are under five');
    nodeB.countAudit(failure);
    await nodeB.flush();
    const spike = (await currentConditions(sources, thresholds)).find((c) => c.kind === 'failure-spike');
    assert.equal(spike?.details.failures, 5);
  });

  it('reports the last sync run’s errors and the delete threshold, and nothing once a run succeeds', async () => {
    const run = (id: string, outcome: 'partial' | 'stopped' | 'success', minutesAgo: number) =>
      store.sync.saveRun({ id, mode: 'delta', startedAt: new Date(Date.now() - minutesAgo * 60_000), finishedAt: new Date(Date.now() - minutesAgo * 60_000 + 1000), outcome, counts: { errors: outcome === 'partial' ? 2 : 0 }, message: outcome === 'stopped' ? '600 deletions exceed the delete threshold of 500; nothing exported' : undefined });
    await run('r1', 'partial', 30);
    assert.deepEqual((await currentConditions(sources, thresholds)).filter((c) => c.kind.startsWith('sync')).map((c) => [c.key, c.details.errors]), [['sync-errors', 2]]);
    await run('r2', 'stopped', 20);
    const stopped = (await currentConditions(sources, thresholds)).filter((c) => c.kind.startsWith('sync'));
    assert.deepEqual(stopped.map((c) => c.key), ['sync-delete-threshold']);
    assert.match(stopped[0]!.summary, /600 deletions exceed the delete threshold/);
    await run('r3', 'success', 10);
    assert.ok(!(await currentConditions(sources, thresholds)).some((c) => c.kind.startsWith('sync')));
  });

  it('calls the rollover stuck once a next certificate is a day past its promotion date', async () => {
    const next = await generateKey(store, { kek, use: 'signing', subject: 'CN=Test Signing', validityDays: 365, keyBits: 2048 }, 'next');
    clock = new Date(next.createdAt.getTime() + 5.5 * DAY);
    assert.ok(!(await currentConditions(sources, thresholds)).some((c) => c.kind === 'rollover-stuck'), 'half a day late is not yet stuck');
    clock = new Date(next.createdAt.getTime() + 6.1 * DAY);
    const stuck = (await currentConditions(sources, thresholds)).find((c) => c.kind === 'rollover-stuck');
    assert.equal(stuck?.key, 'rollover-stuck:signing');
    assert.equal(stuck?.details.next, next.id);
  });

  it('one node sends: a second node on the same store neither evaluates nor repeats, and after the first stops it only resolves what cleared', async () => {
    const log = createLogger('silent' as 'info');
    const a = recorder('webhook');
    const b = recorder('webhook');
    const nodeA = new Alerts({ sources, thresholds, channels: [a], service: 'https://sts.example', log, leaseMs: 60_000 });
    const nodeB = new Alerts({ sources, thresholds, channels: [b], service: 'https://sts.example', log, leaseMs: 60_000 });
    assert.equal(await nodeA.tick(), true);
    assert.equal(await nodeB.tick(), false, 'node A holds the lease');
    assert.deepEqual(a.got.map((m) => `${m.status} ${m.key}`).sort(), ['firing dc-down:' + deadDc, 'firing failure-spike', 'firing rollover-stuck:signing'].sort());
    await nodeA.close();
    // The spike's bucket is read from the store as it is; the DC comes back: node B takes over and tells only what changed.
    await directory.close();
    directory = directoryFor(await getTestBed());
    assert.equal(await nodeB.tick(), true);
    assert.deepEqual(b.got.map((m) => `${m.status} ${m.key}`), [`resolved dc-down:${deadDc}`]);
    await nodeB.close();
  });
});
