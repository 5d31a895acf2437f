import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { SAML, type Profile } from '@node-saml/node-saml';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import type { RunningTestGatehouse } from '../support/gatehouse.js';
import { makeLocalhostTls, makeTestCert } from '../support/pki.js';
import { startTestRelyingParty } from '../support/test-rp.js';
import { ALICE, spTrust, startSamlGatehouse } from '../saml2/helpers.js';

const WSFED_APP = 'urn:test:wsfed-app';

/**
 * A node-saml service provider as a web application: /login starts SP-initiated sign-on over
 * HTTP-Redirect, /acs takes the Response, /logout starts SLO, /slo takes the LogoutResponse over
 * HTTP-POST. node-saml judges every message.
 */
async function startNodeSamlApp(settings: () => { idpCert: string; entryPoint: string }, keyPem: string) {
  const tls = await makeLocalhostTls();
  const app = express();
  let saml: SAML | undefined;
  let url = '';
  let profile: Profile | null | undefined;
  const events: string[] = [];
  const sp = () => (saml ??= new SAML({
    issuer: url, callbackUrl: `${url}/acs`, entryPoint: settings().entryPoint, logoutUrl: settings().entryPoint, idpCert: settings().idpCert,
    privateKey: keyPem, signatureAlgorithm: 'sha256', digestAlgorithm: 'sha256', wantAuthnResponseSigned: false,
  }));
  const form = express.urlencoded({ extended: false, limit: '1mb' });
  app.get('/login', async (_req, res) => res.redirect(await sp().getAuthorizeUrlAsync('', undefined, {})));
  app.post('/acs', form, async (req, res) => {
    profile = (await sp().validatePostResponseAsync(req.body as Record<string, string>)).profile;
    events.push('signed-in');
    res.type('html').send(`<!doctype html><html lang="en"><head><title>SP</title></head><body><h1 id="sp-signed-in">Signed in</h1><p id="sp-user">${String(profile?.nameID ?? '')}</p></body></html>`);
  });
  app.get('/logout', async (_req, res) => res.redirect(await sp().getLogoutUrlAsync(profile!, '', {})));
  app.post('/slo', form, async (req, res) => {
    const result = await sp().validatePostResponseAsync(req.body as Record<string, string>);
    events.push(result.loggedOut ? 'logged-out' : 'not-logged-out');
    res.type('html').send('<!doctype html><html lang="en"><head><title>SP</title></head><body><h1 id="sp-signed-out">Signed out of the SP</h1></body></html>');
  });
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://localhost:${(server.address() as AddressInfo).port}`;
  return { url, events, close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }) };
}

let gh: RunningTestGatehouse;
let browser: Browser;
let spApp: Awaited<ReturnType<typeof startNodeSamlApp>>;
let rp: Awaited<ReturnType<typeof startTestRelyingParty>>;
let idpCert = '';

describe('Chromium: a node-saml application signs in and out through Gatehouse beside a WS-Fed app', () => {
  before(async () => {
    const key = await makeTestCert('node-saml app');
    rp = await startTestRelyingParty(() => idpCert);
    spApp = await startNodeSamlApp(() => ({ idpCert, entryPoint: `${gh.url}/adfs/ls/` }), key.keyPem);
    gh = await startSamlGatehouse([
      { identifier: WSFED_APP, name: 'WS-Fed app', replyUrls: [rp.replyUrl] },
      spTrust(spApp.url, spApp.url, { signingCertificates: [key.certPem], requireSignedRequests: true, singleLogoutServices: [{ binding: 'post', location: `${spApp.url}/slo` }] }),
    ]);
    idpCert = (await gh.signingCertificate()).pem;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
    await spApp?.close();
    await rp?.close();
  });

  it('signs alice in to the SAML app with her password, to the WS-Fed app without a prompt, and signs out of both from the SAML app', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${spApp.url}/login`);
    assert.ok(page.url().startsWith(`${gh.url}/adfs/ls/`), page.url());
    await page.fill('#userNameInput', ALICE.upn);
    await page.fill('#passwordInput', ALICE.password);
    await page.click('#submitButton');
    await page.waitForSelector('#sp-signed-in');
    assert.equal(await page.textContent('#sp-user'), ALICE.upn);

    await page.goto(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(WSFED_APP)}`);
    await page.waitForSelector('#app-signed-in');

    // SLO: Gatehouse's last page loads the WS-Fed app's cleanup frame, then posts the LogoutResponse.
    await page.goto(`${spApp.url}/logout`);
    await page.waitForSelector('#sp-signed-out');
    assert.deepEqual(spApp.events, ['signed-in', 'logged-out']);
    assert.equal(rp.cleanups.length, 1, 'the WS-Fed app was told to sign out before the page moved on');

    await page.goto(`${spApp.url}/login`);
    assert.equal(await page.locator('#passwordInput').count(), 1, 'the password is asked for again');
    await context.close();
  });
});
