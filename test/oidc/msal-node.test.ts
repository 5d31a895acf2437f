import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CryptoProvider, PublicClientApplication } from '@azure/msal-node';
import type { Browser } from 'playwright-core';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { createDirectory } from '../directory/helpers.js';
import { msalNetworkClient } from '../entra/https-client.js';
import { launchChromium } from '../support/chromium.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { signInOnPage, startCallbackServer } from './helpers.js';

describe('msal-node against Gatehouse as an AD FS authority (public client, auth code + PKCE, Chromium, Samba AD)', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  let cb: Awaited<ReturnType<typeof startCallbackServer>>;
  let browser: Browser;
  before(async () => {
    bed = await getTestBed();
    cb = await startCallbackServer();
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      extra: { oidc: { clients: [{ client_id: 'msal-app', client_name: 'MSAL app', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: [`${cb.url}/msal`], subject: 'immutableId' }] } },
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
    await cb?.close();
  });

  it('signs alice in with authority https://localhost:…/adfs and knownAuthorities, as MSAL does against AD FS, with the ImmutableID as sub', async () => {
    const authority = `${gh.url}/adfs`;
    const pca = new PublicClientApplication({
      auth: { clientId: 'msal-app', authority, knownAuthorities: [new URL(gh.url).host] },
      system: { networkClient: msalNetworkClient(gh.tlsCertPem) },
    });
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const redirectUri = `${cb.url}/msal`;
    const scopes = ['openid', 'profile'];
    const url = await pca.getAuthCodeUrl({ scopes, redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', loginHint: 'alice@corp.example.com' });
    assert.ok(url.startsWith(`${gh.url}/adfs/oauth2/authorize`), url);

    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(url);
    assert.equal(await page.inputValue('#userNameInput'), 'alice@corp.example.com', 'login_hint fills the user name');
    await signInOnPage(page, 'alice@corp.example.com', bed.users.alice!.password);
    await page.waitForURL((u) => u.href.startsWith(redirectUri));
    const code = new URL(page.url()).searchParams.get('code');
    assert.ok(code);
    await context.close();

    const result = await pca.acquireTokenByCode({ code, scopes, redirectUri, codeVerifier: verifier });
    const claims = result.idTokenClaims as Record<string, unknown>;
    assert.equal(claims.upn, 'alice@corp.example.com');
    assert.equal(claims.iss, authority);
    assert.equal(claims.aud, 'msal-app');
    const dir = await createDirectory({ kind: 'ldap', dcs: [bed.ldapsUrl], caCertPem: bed.caCertPem, baseDn: bed.baseDn, serviceAccount: { dn: bed.service.dn, password: bed.service.password } });
    const alice = (await dir.findUser({ upn: 'alice@corp.example.com' }))!;
    await dir.close();
    assert.equal(claims.sub, alice.immutableId, 'this client takes the ImmutableID as sub');
    assert.ok(result.account, 'MSAL made an account from the ID token');
    assert.ok(result.accessToken);

    // The refresh token MSAL cached: a silent call gets new tokens without the browser.
    const silent = await pca.acquireTokenSilent({ account: result.account!, scopes, forceRefresh: true });
    assert.equal((silent.idTokenClaims as Record<string, unknown>).upn, 'alice@corp.example.com');
  });
});
