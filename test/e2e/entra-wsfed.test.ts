import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createDirectory } from '../directory/helpers.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns, signOutCleanups } from '../entra/signin/log.js';
import { launchChromium } from '../support/chromium.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { startTestRelyingParty } from '../support/test-rp.js';

const APP = 'urn:test:second-app';

let bed: TestBed;
let entra: EntraDouble;
let gh: RunningTestGatehouse;
let rp: Awaited<ReturnType<typeof startTestRelyingParty>>;
let browser: Browser;
let aliceImmutableId: string;
let signingCertPem = '';

/** Every page the browser was shown, to prove where a login form did or did not appear. */
function pagesSeen(page: Page): string[] {
  const seen: string[] = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) seen.push(f.url());
  });
  return seen;
}

describe('Chromium: Microsoft 365 sign-in through Gatehouse (Entra double, Samba AD)', () => {
  before(async () => {
    bed = await getTestBed();
    entra = await startEntraDouble();
    rp = await startTestRelyingParty(() => signingCertPem);
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      domains: ['corp.example.com', 'fabrikam.example.com'],
      entraReplyUrl: `${entra.url}/login.srf`,
      trusts: [{ identifier: APP, name: 'Second app', replyUrls: [rp.replyUrl] }],
    });
    const cert = await gh.signingCertificate();
    signingCertPem = cert.pem;
    const dir = await createDirectory({ kind: 'ldap', dcs: [bed.ldapsUrl], caCertPem: bed.caCertPem, baseDn: bed.baseDn, serviceAccount: { dn: bed.service.dn, password: bed.service.password } });
    aliceImmutableId = (await dir.findUser({ upn: 'alice@corp.example.com' }))!.immutableId;
    await dir.close();
    const t = entra.tenant;
    for (const domain of ['corp.example.com', 'fabrikam.example.com']) {
      t.addDomain(domain);
      t.federate(domain, {
        issuerUri: `http://${domain}/adfs/services/trust/`,
        passiveSignInUri: `${gh.url}/adfs/ls/`,
        signOutUri: `${gh.url}/adfs/ls/`,
        signingCertificate: cert.base64Der,
      });
    }
    t.addUser({ userPrincipalName: 'alice@corp.example.com', displayName: 'Alice Anders', onPremisesImmutableId: aliceImmutableId });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
    await rp?.close();
    await entra?.close();
  });

  it('signs alice in to Entra with her AD password, then a second app without a prompt, and signs out of both', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const seen = pagesSeen(page);

    await page.goto(`${entra.url}/signin?username=alice@corp.example.com`);
    assert.ok(page.url().startsWith(`${gh.url}/adfs/ls/`), `at Gatehouse: ${page.url()}`);
    assert.equal(await page.inputValue('#userNameInput'), 'alice@corp.example.com', 'Entra’s username hint fills the field');
    await page.fill('#passwordInput', 'Passw0rd!');
    await page.click('#submitButton');
    await page.waitForSelector('#signed-in');
    assert.equal(await page.textContent('#upn'), 'alice@corp.example.com');
    assert.equal(await page.textContent('#immutable-id'), aliceImmutableId);
    assert.equal(signIns.at(-1)?.result, 'success');

    const before2 = seen.length;
    await page.goto(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(APP)}`);
    await page.waitForSelector('#app-signed-in');
    assert.equal(await page.textContent('#app-user'), 'alice@corp.example.com');
    assert.ok(!seen.slice(before2).some((u) => u.startsWith(gh.url) && !u.includes('wsignin1.0')), 'no login page on the way');
    assert.equal(await page.locator('#passwordInput').count(), 0);

    const cleanupsBefore = signOutCleanups.length;
    await page.goto(`${entra.url}/signout?username=alice@corp.example.com`);
    await page.waitForSelector('text=You have signed out.');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('iframe')).length === 2);
    for (let i = 0; i < 50 && (rp.cleanups.length === 0 || signOutCleanups.length === cleanupsBefore); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(rp.cleanups.length, 1, 'the second app was told to sign out');
    assert.equal(signOutCleanups.length, cleanupsBefore + 1, 'Entra was told to sign out');

    await page.goto(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(APP)}`);
    assert.equal(await page.locator('#passwordInput').count(), 1, 'after sign-out the app needs the password again');
    await context.close();
  });

  it('is usable with the keyboard alone and shows AD’s outcome without issuing a token', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${entra.url}/signin?username=${encodeURIComponent(bed.users.disabled!.upn)}`);
    // Entra's username hint fills the name, so focus starts on the password (autofocus is applied
    // at the page's next rendering update, not at load, hence the wait).
    await page.waitForFunction(() => document.activeElement?.id === 'passwordInput', undefined, { timeout: 5000 });
    await page.keyboard.type(bed.users.disabled!.password);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#errorText');
    assert.match((await page.textContent('#errorText')) ?? '', /disabled/);
    assert.equal(await page.getAttribute('#passwordInput', 'aria-describedby'), 'errorText');
    assert.ok(page.url().startsWith(gh.url), 'still at Gatehouse: no token posted');
    await context.close();
  });
});
