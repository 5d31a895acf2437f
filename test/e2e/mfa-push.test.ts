import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { startMfaHook, type HookDecision } from '../support/mfa-hook.js';
import { startTestRelyingParty } from '../support/test-rp.js';

const SHOTS = process.env.GATEHOUSE_SCREENSHOTS ?? join(process.env.TMPDIR ?? '/tmp', 'gatehouse-screenshots');
const SECRET = 'push hook secret, thirty-two bytes or more';
const APP = 'urn:test:push-app';
const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };

let gh: RunningTestGatehouse;
let hook: Awaited<ReturnType<typeof startMfaHook>>;
let rp: Awaited<ReturnType<typeof startTestRelyingParty>>;
let browser: Browser;
let signingCertPem = '';
let decide: () => HookDecision = () => ({ status: 'pending' });

describe('Chromium: a push second factor through the external hook', () => {
  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    hook = await startMfaHook(SECRET, () => decide());
    rp = await startTestRelyingParty(() => signingCertPem);
    gh = await startTestGatehouse({
      directory: { users: [alice] },
      trusts: [{ identifier: APP, name: 'Push app', replyUrls: [rp.replyUrl] }],
      extra: { mfa: { policy: { trusts: [APP], groups: [], extranet: false }, external: { url: hook.url, secret: SECRET, name: 'push', timeoutMs: 1000, groups: [] } } },
    });
    signingCertPem = (await gh.signingCertificate()).pem;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
    await rp?.close();
    await hook?.close();
  });

  it('shows the service’s message and a Continue button, and signs in once the push is approved; a denied push issues nothing', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    decide = () => ({ status: 'pending', message: 'We sent a notification to your phone ending 42.' });
    await page.goto(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(APP)}`);
    await page.fill('#userNameInput', alice.upn);
    await page.fill('#passwordInput', alice.password);
    await page.click('#submitButton');
    await page.waitForSelector('#mfaInstruction');
    assert.equal(await page.textContent('#mfaInstruction'), 'We sent a notification to your phone ending 42.');
    assert.equal(await page.locator('#codeInput').count(), 0, 'a push needs no code field');
    await page.screenshot({ path: join(SHOTS, 'mfa-push.png'), fullPage: true });
    decide = () => ({ status: 'approved' });
    await page.click('#submitButton');
    await page.waitForSelector('#app-signed-in');
    assert.equal(await page.textContent('#app-user'), alice.upn);
    await context.close();

    const c2 = await browser.newContext({ ignoreHTTPSErrors: true });
    const p2 = await c2.newPage();
    decide = () => ({ status: 'pending' });
    await p2.goto(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(APP)}`);
    await p2.fill('#userNameInput', alice.upn);
    await p2.fill('#passwordInput', alice.password);
    await p2.click('#submitButton');
    await p2.waitForSelector('#mfaInstruction');
    decide = () => ({ status: 'denied' });
    await p2.click('#submitButton');
    await p2.waitForSelector('#errorText');
    assert.match((await p2.textContent('#errorText'))!, /not approved/);
    assert.ok(p2.url().startsWith(gh.url), 'no token went to the application');
    assert.equal(rp.signIns.length, 1, 'the application saw the approved sign-in only');
    await c2.close();
  });
});
