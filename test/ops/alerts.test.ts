import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KeyRecord } from '../../store/types.js';
import { adminClient, parseMetrics, total } from '../support/admin-client.js';
import { startMailbox, startReceiver, WEBHOOK_SECRET as SECRET } from '../support/alert-receivers.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { graphSectionFor } from '../support/entra-graph-config.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';

const DAY = 86_400_000;
const ADMIN_TOKEN = 'alerts-test-admin-token-0123456789abcdef';
const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };

/*
 * The certificate-expiry alert through a real rollover: the clock moves a 60-day signing
 * certificate into the 30-day warning window (one alert, however often the conditions are
 * evaluated), the rollover generates, pushes to the Entra double and promotes a successor, and the
 * alert resolves (one message) — by webhook and by mail.
 */
describe('alerts: a certificate entering the warning window, resolved by the rollover', () => {
  let entra: EntraDouble;
  let gh: RunningTestGatehouse;
  let hook: Awaited<ReturnType<typeof startReceiver>>;
  let mail: Awaited<ReturnType<typeof startMailbox>>;
  let dir: string;
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const keys = (status: KeyRecord['status']) => gh.runtime.store.keys.list('signing').then((all) => all.filter((k) => k.status === status));
  /** Moves the clock, lets the key cycle act as its timer would, then evaluates the alerts (twice: a second look must send nothing). */
  const at = async (days: number) => {
    offset = days * DAY;
    await gh.runtime.keyCycle();
    assert.equal(await gh.ops.alerts!.tick(), true);
    assert.equal(await gh.ops.alerts!.tick(), true);
  };

  before(async () => {
    entra = await startEntraDouble();
    entra.tenant.addDomain('corp.example.com');
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-alerts-'));
    hook = await startReceiver();
    mail = await startMailbox();
    gh = await startTestGatehouse({
      directory: { users: [alice] },
      entraReplyUrl: `${entra.url}/login.srf`,
      now,
      extra: {
        keys: { keyEncryptionKey: Buffer.alloc(32, 9).toString('base64'), signingValidityDays: 60, generateDaysBeforeExpiry: 20, promoteDaysAfterGeneration: 5 },
        graph: await graphSectionFor(entra, dir),
        admin: { enabled: true, port: 0, token: ADMIN_TOKEN },
        alerts: {
          webhook: { url: hook.url, secret: SECRET, retries: 2 },
          smtp: { host: '127.0.0.1', port: mail.port, requireTls: false, from: 'gatehouse@corp.example.com', to: ['ops@corp.example.com'] },
          certificateWarnDays: 30,
          // The test evaluates by hand; the timer must not add evaluations of its own.
          intervalSeconds: 3600,
        },
      },
    });
    const [first] = await keys('active');
    entra.tenant.federate('corp.example.com', { issuerUri: 'http://corp.example.com/adfs/services/trust/', passiveSignInUri: `${gh.url}/adfs/ls/`, signingCertificate: first!.certificateDer.toString('base64') });
  });
  after(async () => {
    await gh?.stop();
    await entra?.close();
    hook?.server.close();
    await new Promise<void>((resolve) => (mail ? mail.server.close(() => resolve()) : resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('sends nothing while every certificate has more days left than the warning window', async () => {
    await at(1);
    assert.deepEqual(hook.received, []);
    assert.deepEqual(mail.subjects, []);
  });

  it('sends exactly one alert, signed, when the active certificate enters the window, though the receiver failed once', async () => {
    const [first] = await keys('active');
    hook.failNext = 1;
    await at(31);
    await at(33);
    assert.equal(hook.received.length, 1, JSON.stringify(hook.received));
    const { message, signed } = hook.received[0]!;
    assert.ok(signed, 'X-Gatehouse-Signature is the HMAC-SHA256 of the body');
    assert.equal(message.status, 'firing');
    assert.equal(message.kind, 'certificate-expiry');
    assert.equal(message.key, `certificate-expiry:${first!.id}`);
    assert.equal(message.severity, 'warning');
    assert.equal(message.details.daysLeft, 28);
    assert.equal(message.service, gh.url);
    assert.match(message.summary, new RegExp(`^The active signing certificate ${first!.id} expires in 28 days$`));
    assert.deepEqual(mail.subjects, [`[Gatehouse WARNING] ${message.summary}`]);
    assert.deepEqual((await gh.ops.alerts!.firing()).map((a) => a.key), [message.key]);
    // The health page lists it among the alerts firing.
    const admin = adminClient(gh.ops.adminPort!, gh.tlsCertPem, ADMIN_TOKEN);
    try {
      const html = (await admin.get('/')).text;
      assert.ok(html.includes(`<section class="wide" id="alerts"><h2>Alerts firing</h2><p class="alert "><strong>${message.summary}</strong>`), html.slice(0, 2000));
    } finally {
      await admin.close();
    }
  });

  it('stays quiet while the successor is generated and pushed, and resolves once when it is promoted', async () => {
    const [first] = await keys('active');
    await at(41);
    const [next] = await keys('next');
    assert.ok(next, 'the rollover generated a next certificate');
    assert.equal(hook.received.length, 1);
    await at(46.1);
    assert.deepEqual((await keys('active')).map((k) => k.id), [next.id], 'promoted once Entra knew it');
    assert.deepEqual((await keys('previous')).map((k) => k.id), [first!.id]);
    await at(47);
    assert.deepEqual(hook.received.map((r) => [r.message.status, r.message.key]), [['firing', `certificate-expiry:${first!.id}`], ['resolved', `certificate-expiry:${first!.id}`]]);
    assert.equal(hook.received[1]!.message.since, hook.received[0]!.message.since);
    assert.ok(hook.received.every((r) => r.signed));
    assert.equal(mail.subjects.length, 2);
    assert.match(mail.subjects[1]!, /^\[Gatehouse RESOLVED\] The active signing certificate [0-9A-F]{40} expires in 28 days$/);
    assert.deepEqual(await gh.ops.alerts!.firing(), []);
    // The health page: no alert, and Entra in step with the new active certificate and the previous one it keeps as next.
    const admin = adminClient(gh.ops.adminPort!, gh.tlsCertPem, ADMIN_TOKEN);
    try {
      const html = (await admin.get('/')).text;
      assert.doesNotMatch(html, /id="alerts"/);
      assert.match(html, /<span class="dot pass"><\/span>Entra is in step/);
      const row = (id: string) => new RegExp(`<tr><td><code title="${id}">[^]*?</tr>`).exec(html)?.[0] ?? '';
      assert.match(row(next.id), /<td>active<\/td>[^]*<span class="dot pass"><\/span>corp\.example\.com/);
      assert.match(row(first!.id), /<td>previous<\/td>[^]*<span class="dot pass"><\/span>corp\.example\.com/);
    } finally {
      await admin.close();
    }
  });

  it('timed the Graph calls the rollover made', async () => {
    const samples = parseMetrics((await gh.runtime.metrics.text()).body);
    const host = new URL(entra.url).host;
    assert.ok(total(samples, 'gatehouse_graph_request_duration_seconds_count', { method: 'PATCH', host, status: '204' }) + total(samples, 'gatehouse_graph_request_duration_seconds_count', { method: 'PATCH', host, status: '200' }) >= 2, 'the pushes of the next and of the promoted certificate');
    assert.ok(total(samples, 'gatehouse_graph_request_duration_seconds_count', { method: 'GET', host, status: '200' }) >= 1);
  });
});
