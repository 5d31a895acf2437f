import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { launchChromium } from '../support/chromium.js';
import { freePort, startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { makeCrl, makeTestCa, makeUserCert, type UserCert } from '../support/pki.js';
import { startTestRelyingParty } from '../support/test-rp.js';

const APP = 'urn:test:certificate-app';
/** Where screenshots go, for a person to look at (GATEHOUSE_SCREENSHOTS=dir). */
const SHOTS = process.env.GATEHOUSE_SCREENSHOTS;

describe('Chromium: smart card sign-in through the certificate listener (Samba AD)', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  let rp: Awaited<ReturnType<typeof startTestRelyingParty>>;
  let browser: Browser;
  let crlServer: Server;
  let dir: string;
  let certPort: number;
  let signingCertPem = '';
  const certs: Record<'alice' | 'revoked', UserCert> = {} as never;

  before(async () => {
    bed = await getTestBed();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-cert-'));
    const ca = await makeTestCa('Gatehouse Smart Card CA');
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
    let crl: Buffer = Buffer.alloc(0);
    crlServer = createServer((_req, res) => void res.writeHead(200).end(crl));
    await new Promise<void>((resolve) => crlServer.listen(0, '127.0.0.1', resolve));
    const crlUrl = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}/ca.crl`;
    certs.alice = await makeUserCert(ca, { subject: 'CN=Alice Anders,O=Corp', upn: bed.users.alice!.upn, crlUrl });
    certs.revoked = await makeUserCert(ca, { subject: 'CN=Bob Builder,O=Corp', upn: bed.users.bob!.upn, crlUrl });
    crl = await makeCrl(ca, [certs.revoked.serial]);
    rp = await startTestRelyingParty(() => signingCertPem);
    certPort = await freePort();
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      trusts: [{ identifier: APP, name: 'Certificate app', replyUrls: [rp.replyUrl] }],
      extra: { certificateAuth: { enabled: true, port: certPort, caFiles: [join(dir, 'ca.pem')] } },
    });
    signingCertPem = (await gh.signingCertificate()).pem;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
    await rp?.close();
    await new Promise<void>((resolve) => (crlServer ? crlServer.close(() => resolve()) : resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  /** A browser context holding one smart card: the certificate offered to the certificate listener only. */
  const withCard = (cert: UserCert) => browser.newContext({
    ignoreHTTPSErrors: true,
    clientCertificates: [{ origin: `https://localhost:${certPort}`, cert: Buffer.from(cert.certPem), key: Buffer.from(cert.keyPem) }],
  });

  it('signs alice in to an app with her smart card certificate: login page link, certificate port, token says TLS client', async () => {
    const context = await withCard(certs.alice);
    const page = await context.newPage();
    await page.goto(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(APP)}`);
    const link = page.locator('#certificateLink');
    assert.equal(await link.textContent(), 'Sign in with a certificate');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'login-with-certificate.png'), fullPage: true });
    await link.click();
    await page.waitForSelector('#app-signed-in');
    assert.equal(await page.textContent('#app-method'), 'urn:ietf:rfc:2246');
    const [event] = await gh.runtime.store.audit.recent(1, { type: 'signin' });
    assert.equal(event?.user, bed.users.alice!.upn);
    assert.equal(event?.details?.method, 'certificate');
    await context.close();
  });

  it('shows a revoked card a page that says so, with the way back to sign-in', async () => {
    const context = await withCard(certs.revoked);
    const page = await context.newPage();
    await page.goto(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(APP)}`);
    await page.click('#certificateLink');
    await page.waitForSelector('#backToSignIn');
    assert.match((await page.textContent('main')) ?? '', /Your certificate has been revoked/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'certificate-revoked.png'), fullPage: true });
    await page.click('#backToSignIn');
    await page.waitForSelector('#passwordInput');
    assert.equal(rp.signIns.length, 1, 'no token for the revoked card');
    await context.close();
  });
});
