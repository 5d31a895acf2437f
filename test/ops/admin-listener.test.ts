import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from 'ldapts';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { adminClient, total, type Sample } from '../support/admin-client.js';
import { launchChromium } from '../support/chromium.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';

const TOKEN = 'metrics-scraper-token-0123456789abcdef';
const ENTRA = 'urn:federation:MicrosoftOnline';
/** Screenshots and other artefacts a person may want to look at after a run. */
const OUTPUT = process.env.GATEHOUSE_TEST_OUTPUT ?? join(fileURLToPath(new URL('../..', import.meta.url)), '.tmp', 'test-output');

/*
 * The admin listener of a real Gatehouse against Samba: it refuses requests without its token,
 * and its /metrics moves by exactly what real browser sign-ins did — a success, wrong passwords,
 * Gatehouse's extranet lockout and AD's own lockout. Then the health page, in Chromium, shows that run.
 */
describe('admin listener: /metrics after real sign-ins, /health, the health page', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  let admin: ReturnType<typeof adminClient>;
  let before_: Sample[];
  let after_: Sample[];
  const delta = (name: string, labels: Record<string, string> = {}) => total(after_, name, labels) - total(before_, name, labels);

  before(async () => {
    bed = await getTestBed();
    // The test bed's lockout policy unlocks after an hour: wrong binds now make sure AD has `locked` locked (threshold 3).
    const ldap = new Client({ url: bed.ldapsUrl, tlsOptions: { ca: bed.caCertPem } });
    for (let i = 0; i < 3; i++) await ldap.bind(bed.users.locked!.dn, 'not-the-password').catch(() => undefined);
    await ldap.unbind();
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      extra: {
        // Every address is outside the (empty) corporate network: the extranet lockout applies, after two wrong passwords.
        lockout: { extranetThreshold: 2, observationWindowMinutes: 30 },
        admin: { enabled: true, port: 0, token: TOKEN },
      },
    });
    admin = adminClient(gh.ops.adminPort!, gh.tlsCertPem, TOKEN);
  });
  after(async () => {
    await admin?.close();
    await gh?.stop();
  });

  it('listens on loopback only, by default, and the public listener serves none of it', async () => {
    assert.equal(gh.config.admin.host, '127.0.0.1');
    assert.notEqual(String(gh.ops.adminPort), new URL(gh.url).port);
    for (const path of ['/metrics', '/health']) {
      const res = await new WebClient([gh.tlsCertPem]).get(`${gh.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /gatehouse_token_requests_total|"checks"/);
    }
  });

  it('refuses a request without its bearer token, or with a wrong one, and audits it', async () => {
    const anonymous = adminClient(gh.ops.adminPort!, gh.tlsCertPem);
    const wrong = adminClient(gh.ops.adminPort!, gh.tlsCertPem, `${TOKEN}x`);
    try {
      for (const path of ['/metrics', '/health', '/']) {
        const res = await anonymous.get(path);
        assert.equal(res.status, 401, path);
        assert.doesNotMatch(res.text, /gatehouse_|<html/);
      }
      assert.equal((await anonymous.get('/metrics')).headers.get('www-authenticate'), 'Bearer realm="gatehouse-admin"');
      // The page also offers Basic, so that a browser asks for the token as a password.
      assert.equal((await anonymous.get('/')).headers.get('www-authenticate'), 'Bearer realm="gatehouse-admin", Basic realm="gatehouse-admin", charset="UTF-8"');
      const bad = await wrong.get('/metrics');
      assert.equal(bad.status, 401);
      assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`operator:${password}`).toString('base64')}` });
      assert.equal((await anonymous.get('/', basic(`${TOKEN}x`))).status, 401);
      assert.equal((await anonymous.get('/', basic(TOKEN))).status, 200);
      assert.equal((await anonymous.get('/metrics', { authorization: 'Digest username="x"' })).status, 401);
    } finally {
      await anonymous.close();
      await wrong.close();
    }
    const refused = await gh.runtime.store.audit.recent(20, { type: 'admin.refused' });
    assert.deepEqual(refused.map((e) => e.reason).sort(), ['bad-authorization', 'bad-token', 'bad-token', 'no-credential', 'no-credential', 'no-credential', 'no-credential', 'no-credential']);
    assert.ok(refused.every((e) => e.clientIp === '127.0.0.1' && e.outcome === 'failure'));
  });

  it('counts a success, wrong passwords, an extranet lockout and an AD lockout exactly', async () => {
    before_ = await admin.scrape();
    const browser = () => new WebClient([gh.tlsCertPem]);
    const alice = bed.users.alice!;
    const ok = await (await postLogin(browser(), gh.url, alice.upn, alice.password)).text();
    assert.match(ok, /name="wresult"/);
    const badpw = bed.users.badpw!;
    for (let i = 0; i < 2; i++) assert.match(await (await postLogin(browser(), gh.url, badpw.upn, 'not-the-password')).text(), /Incorrect user ID or password/);
    // The budget of two is spent: the right password is refused without asking AD (AD FS extranet lockout).
    assert.match(await (await postLogin(browser(), gh.url, badpw.upn, badpw.password)).text(), /Incorrect user ID or password/);
    const locked = bed.users.locked!;
    assert.match(await (await postLogin(browser(), gh.url, locked.upn, locked.password)).text(), /account is locked/);
    after_ = await admin.scrape();

    const wsfed = { protocol: 'wsfed', trust: ENTRA };
    assert.equal(delta('gatehouse_token_requests_total', { ...wsfed, result: 'success' }), 1);
    assert.equal(delta('gatehouse_token_requests_total', { ...wsfed, result: 'failure' }), 4);
    assert.equal(delta('gatehouse_signin_failures_total', { reason: 'bad-password' }), 2);
    assert.equal(delta('gatehouse_signin_failures_total', { reason: 'extranet-lockout' }), 1);
    assert.equal(delta('gatehouse_signin_failures_total', { reason: 'locked-out' }), 1);
    assert.equal(delta('gatehouse_signin_failures_total'), 4);
    assert.equal(delta('gatehouse_lockouts_total', { kind: 'extranet' }), 1);
    assert.equal(delta('gatehouse_lockouts_total', { kind: 'ad' }), 1);
  });

  it('times every sign-in and every LDAP bind, the refused ones apart', () => {
    // Five login pages shown (each a pipeline run that asks for credentials), four refused posts, one success.
    assert.equal(delta('gatehouse_signin_duration_seconds_count', { protocol: 'wsfed', outcome: 'authenticated' }), 1);
    assert.equal(delta('gatehouse_signin_duration_seconds_count', { protocol: 'wsfed', outcome: 'needs-credentials' }), 9);
    assert.ok(delta('gatehouse_signin_duration_seconds_sum', { outcome: 'authenticated' }) > 0);
    // alice's bind succeeded; badpw's two and locked's were answered with an LDAP error; the lockout bound nothing.
    assert.equal(delta('gatehouse_ldap_operation_duration_seconds_count', { operation: 'bind', result: 'ok' }), 1);
    assert.equal(delta('gatehouse_ldap_operation_duration_seconds_count', { operation: 'bind', result: 'refused' }), 3);
    assert.ok(delta('gatehouse_ldap_operation_duration_seconds_count', { operation: 'search', result: 'ok' }) >= 5);
    const le = after_.filter((s) => s.name === 'gatehouse_ldap_operation_duration_seconds_bucket' && s.labels.operation === 'bind' && s.labels.le === '+Inf');
    assert.equal(le.reduce((n, s) => n + s.value, 0), total(after_, 'gatehouse_ldap_operation_duration_seconds_count', { operation: 'bind' }));
  });

  it('reads the active sessions and each certificate’s days left from the store, and has the process metrics', () => {
    assert.equal(total(before_, 'gatehouse_sessions_active'), 0);
    assert.equal(total(after_, 'gatehouse_sessions_active'), 1);
    const cert = after_.filter((s) => s.name === 'gatehouse_certificate_days_left');
    assert.equal(cert.length, 1);
    assert.deepEqual({ role: cert[0]!.labels.role, state: cert[0]!.labels.state }, { role: 'signing', state: 'active' });
    assert.match(cert[0]!.labels.thumbprint!, /^[0-9A-F]{40}$/);
    assert.ok(cert[0]!.value >= 363 && cert[0]!.value <= 365, String(cert[0]!.value));
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      assert.ok(after_.some((s) => s.name === name), name);
    }
  });

  it('shows the last sync run as the sync journal has it', async () => {
    const finishedAt = new Date(Date.now() - 120_000);
    await gh.runtime.store.sync.saveRun({ id: 'run-1', mode: 'delta', startedAt: new Date(finishedAt.getTime() - 4000), finishedAt, outcome: 'partial', counts: { users: 12, groups: 3, errors: 1 } });
    const s = await admin.scrape();
    assert.equal(total(s, 'gatehouse_sync_last_run_success', { outcome: 'partial', mode: 'delta' }), 0);
    assert.equal(s.filter((x) => x.name === 'gatehouse_sync_last_run_success').length, 1);
    const age = total(s, 'gatehouse_sync_last_run_age_seconds');
    assert.ok(age >= 120 && age < 180, String(age));
    assert.equal(total(s, 'gatehouse_sync_last_run_objects', { count: 'users' }), 12);
    assert.equal(total(s, 'gatehouse_sync_last_run_objects', { count: 'errors' }), 1);
  });

  it('/health answers every server-side doctor check as JSON', async () => {
    const res = await admin.get('/health');
    const body = JSON.parse(res.text) as { ok: boolean; worst: string; checks: { part: string; status: string; detail: string }[]; notChecked: string[] };
    assert.deepEqual(body.checks.map((c) => c.part), ['config', 'store', `directory ${bed.ldapsUrl}`, 'clock', 'extranet lockout vs AD lockout', 'signing certificate', 'certificate rollover']);
    assert.equal(res.status, body.ok ? 200 : 503);
    assert.match(body.checks.find((c) => c.part === `directory ${bed.ldapsUrl}`)!.detail, /^service bind ok in \d+ ms$/);
    assert.ok(body.notChecked.some((n) => n.startsWith('the public endpoint')), JSON.stringify(body.notChecked));
  });

  it('renders the health page in Chromium from this run, with no console errors, and writes a screenshot', async () => {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` }, viewport: { width: 1360, height: 900 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const res = await page.goto(`${admin.base}/`);
      assert.equal(res?.status(), 200);
      assert.deepEqual(requests, [`${admin.base}/`], 'no external or further assets');
      assert.deepEqual(problems, []);

      const dc = page.locator('#dcs tbody tr');
      assert.equal(await dc.count(), 1);
      assert.match(await dc.first().innerText(), new RegExp(`${bed.ldapsUrl.replace(/[./]/g, '\\$&')}\\s+up\\s+\\d+ ms`));
      const cert = await page.locator('#certificates tbody tr').first().innerText();
      assert.match(cert, /signing\s+active\s+36[345]/);
      const reasons = await page.locator('#failures tbody').innerText();
      assert.match(reasons, /bad-password\s+2/);
      assert.match(reasons, /extranet-lockout\s+1/);
      assert.match(reasons, /locked-out\s+1/);
      assert.match(await page.locator('#addresses tbody').innerText(), /127\.0\.0\.1\s+4/);
      assert.match(await page.locator('#sync').innerText(), /partial/);
      // This run's sign-ins are in the charts: one token, four failures, in the current 5-minute bar.
      assert.equal(await page.locator('#chart-tokens rect').count(), 1);
      assert.match(await page.locator('#charts figcaption').first().innerText(), /^Tokens issued 1 in 24 h/);
      assert.match(await page.locator('#charts figcaption').nth(1).innerText(), /^Failed sign-ins 4 in 24 h/);
      assert.equal(await page.locator('#checks tbody tr').count(), 7);

      await mkdir(OUTPUT, { recursive: true });
      const file = join(OUTPUT, 'health-page.png');
      await page.screenshot({ path: file, fullPage: true });
      assert.ok((await stat(file)).size > 10_000);
    } finally {
      await browser.close();
    }
  });
});
