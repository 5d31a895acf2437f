import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { createDirectory } from '../directory/helpers.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns } from '../entra/signin/log.js';
import type { InternalDomainFederation } from '../entra/tenant.js';
import { launchChromium } from '../support/chromium.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';

/** Screenshots of the MFA pages, for a person to look at (GATEHOUSE_SCREENSHOTS, else the OS temp dir). */
const SHOTS = process.env.GATEHOUSE_SCREENSHOTS ?? join(process.env.TMPDIR ?? '/tmp', 'gatehouse-screenshots');

let bed: TestBed;
let entra: EntraDouble;
let gh: RunningTestGatehouse;
let browser: Browser;
let corp: InternalDomainFederation;

/** The code an authenticator app with `secret` shows at `ms` (otpauth, not Gatehouse's code). */
const appCode = (secret: string, ms = Date.now()) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: ms });

async function passwordAtGatehouse(page: Page, upn: string, password: string): Promise<void> {
  await page.goto(`${entra.url}/signin?username=${encodeURIComponent(upn)}&mfa=1`);
  assert.ok(page.url().startsWith(`${gh.url}/adfs/ls/`), `at Gatehouse: ${page.url()}`);
  await page.fill('#passwordInput', password);
  await page.click('#submitButton');
}

describe('Chromium: MFA with an authenticator app for Entra (Samba AD, Entra double)', () => {
  before(async () => {
    bed = await getTestBed();
    await mkdir(SHOTS, { recursive: true });
    entra = await startEntraDouble();
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      entraReplyUrl: `${entra.url}/login.srf`,
      // alice is in GH Staff, nested in GH All: the group policy sees nested membership.
      extra: { mfa: { policy: { trusts: [], groups: ['GH All'], extranet: false }, totp: { enabled: true, driftSteps: 1, enrolment: 'always' } } },
    });
    const cert = await gh.signingCertificate();
    const dir = await createDirectory({ kind: 'ldap', dcs: [bed.ldapsUrl], caCertPem: bed.caCertPem, baseDn: bed.baseDn, serviceAccount: { dn: bed.service.dn, password: bed.service.password } });
    const t = entra.tenant;
    t.addDomain('corp.example.com');
    corp = t.federate('corp.example.com', { issuerUri: 'http://corp.example.com/adfs/services/trust/', passiveSignInUri: `${gh.url}/adfs/ls/`, signingCertificate: cert.base64Der, federatedIdpMfaBehavior: 'enforceMfaByFederatedIdp' });
    for (const key of ['alice', 'carol', 'jose']) {
      const u = bed.users[key]!;
      t.addUser({ userPrincipalName: u.upn, onPremisesImmutableId: (await dir.findUser({ upn: u.upn }))!.immutableId });
    }
    await dir.close();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
    await entra?.close();
  });

  it('sets up alice’s authenticator from a QR code after her password, and Entra (enforceMfaByFederatedIdp) accepts the MFA token; the same code is refused the next time', async () => {
    const alice = bed.users.alice!;
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await passwordAtGatehouse(page, alice.upn, alice.password);
    assert.match(page.url(), /wauth=http%3A%2F%2Fschemas\.microsoft\.com%2Fclaims%2Fmultipleauthn/, 'Entra asked for MFA');
    await page.waitForSelector('#qrCode');
    assert.ok(await page.evaluate(() => (document.getElementById('qrCode') as HTMLImageElement).naturalWidth > 0), 'the QR code renders under the page CSP');
    assert.equal(await page.textContent('#accountText'), alice.upn);
    await page.screenshot({ path: join(SHOTS, 'mfa-enrolment.png'), fullPage: true });
    const secret = (await page.textContent('#secretText'))!.replace(/\s/g, '');
    const before = signIns.length;
    await page.fill('#codeInput', '000000' === appCode(secret) ? '111111' : '000000');
    await page.click('#submitButton');
    await page.waitForSelector('#errorText');
    assert.equal(signIns.length, before, 'a wrong code sends no token');
    assert.ok(page.url().startsWith(gh.url));
    const code = appCode(secret);
    await page.fill('#codeInput', code);
    await page.click('#submitButton');
    await page.waitForSelector('#signed-in');
    assert.equal(await page.textContent('#mfa'), 'done-by-idp');
    assert.deepEqual([signIns.at(-1)?.result, signIns.at(-1)?.upn], ['success', alice.upn]);
    await context.close();

    const second = await browser.newContext({ ignoreHTTPSErrors: true });
    const page2 = await second.newPage();
    await passwordAtGatehouse(page2, alice.upn, alice.password);
    await page2.waitForSelector('#codeInput');
    assert.equal(await page2.locator('#qrCode').count(), 0, 'enrolled: no QR code again');
    await page2.screenshot({ path: join(SHOTS, 'mfa-code.png'), fullPage: true });
    await page2.fill('#codeInput', code);
    await page2.click('#submitButton');
    await page2.waitForSelector('#errorText');
    assert.match((await page2.textContent('#errorText'))!, /already used/);
    assert.equal(await page2.getAttribute('#codeInput', 'aria-describedby'), 'errorText');
    // The next step's code, inside the one step of drift allowed: no 30 s wait.
    await page2.fill('#codeInput', appCode(secret, Date.now() + 30_000));
    await page2.click('#submitButton');
    await page2.waitForSelector('#signed-in');
    assert.equal(await page2.textContent('#mfa'), 'done-by-idp');
    await second.close();
  });

  it('issues Entra no token without MFA when it enforces MFA: a user who leaves the set-up page unfinished is not signed in', async () => {
    const jose = bed.users.jose!;
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const before = signIns.length;
    await passwordAtGatehouse(page, jose.upn, jose.password);
    await page.waitForSelector('#qrCode');
    await page.goto(`${entra.url}/signin?username=${encodeURIComponent(jose.upn)}&mfa=1`);
    assert.ok(page.url().startsWith(gh.url), 'back at Gatehouse');
    assert.equal(await page.locator('#passwordInput').count(), 1, 'no SSO session was made from the password alone');
    assert.equal(signIns.length, before, 'Entra received nothing');
    await context.close();
  });

  it('with acceptIfMfaDoneByFederatedIdp, MFA by group policy satisfies Entra, and a user outside the group is left to Entra’s own MFA', async () => {
    corp.federatedIdpMfaBehavior = 'acceptIfMfaDoneByFederatedIdp';
    try {
      const carol = bed.users.carol!;
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await passwordAtGatehouse(page, carol.upn, carol.password);
      assert.doesNotMatch(page.url(), /wauth=/, 'accept mode: Entra asks for nothing');
      await page.waitForSelector('#signed-in');
      assert.equal(await page.textContent('#mfa'), 'entra-mfa', 'carol is in no MFA group: a password token, Entra does MFA');
      await context.close();

      // jose is in GH Staff (nested in GH All) and has no authenticator yet: policy asks, he sets one up.
      const jose = bed.users.jose!;
      const c2 = await browser.newContext({ ignoreHTTPSErrors: true });
      const p2 = await c2.newPage();
      await passwordAtGatehouse(p2, jose.upn, jose.password);
      await p2.waitForSelector('#qrCode');
      await p2.fill('#codeInput', appCode((await p2.textContent('#secretText'))!.replace(/\s/g, '')));
      await p2.click('#submitButton');
      await p2.waitForSelector('#signed-in');
      assert.equal(await p2.textContent('#mfa'), 'done-by-idp', 'Gatehouse did MFA by group policy; Entra accepts it');
      await c2.close();
    } finally {
      corp.federatedIdpMfaBehavior = 'enforceMfaByFederatedIdp';
    }
  });
});
