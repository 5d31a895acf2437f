import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser, BrowserContext } from 'playwright-core';
import * as oidc from 'openid-client';
import { Agent, fetch } from 'undici';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { createDirectory } from '../directory/helpers.js';
import { launchChromium } from '../support/chromium.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { discover, jwtPayload, signInOnPage, startCallbackServer } from './helpers.js';

const WSFED_APP = 'urn:test:wsfed-app';
const SECRET_A = 'a'.repeat(40);
const SECRET_B = 'b'.repeat(40);

let bed: TestBed;
let gh: RunningTestGatehouse;
let cb: Awaited<ReturnType<typeof startCallbackServer>>;
let browser: Browser;
let issuer: string;
let alice: { objectGuid: string; immutableId: string };
let jwtKey: CryptoKeyPair;
let dispatcher: Agent;

const scopes = 'openid profile email offline_access allatclaims';

/** An authorization request of `clientId` in the browser up to the callback; the callback URL. */
async function authorize(context: BrowserContext, config: oidc.Configuration, redirect: string, extra: Record<string, string> = {}, password = true) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirect, scope: scopes, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra });
  const page = await context.newPage();
  const seen: string[] = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && seen.push(f.url()));
  await page.goto(url.href);
  if (password) await signInOnPage(page, 'alice@corp.example.com', bed.users.alice!.password);
  await page.waitForURL((u) => u.href.startsWith(redirect));
  const callback = new URL(page.url());
  await page.close();
  return { callback, verifier, state, seen };
}

/** alice signs in to the WS-Federation app with her password: Gatehouse's SSO session, no OpenID Connect one. */
async function wsfedSignIn(context: BrowserContext): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(WSFED_APP)}`);
  await signInOnPage(page, 'alice@corp.example.com', bed.users.alice!.password);
  await page.waitForURL((u) => u.href.startsWith(`${cb.url}/wsfed`));
  await page.close();
}

async function recentAudit(type: string) {
  // Audit writes are not awaited by the provider's event emitter: give the store a moment.
  await new Promise((r) => setTimeout(r, 150));
  return gh.runtime.store.audit.recent(20, { type });
}

describe('OpenID Connect at AD FS’s paths: openid-client as the relying party, Chromium, Samba AD', () => {
  before(async () => {
    bed = await getTestBed();
    cb = await startCallbackServer();
    jwtKey = (await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const publicJwk = { ...(await webcrypto.subtle.exportKey('jwk', jwtKey.publicKey)), kid: 'rp-key-1', alg: 'RS256', use: 'sig' };
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      trusts: [{ identifier: WSFED_APP, name: 'WS-Fed app', replyUrls: [`${cb.url}/wsfed`], signOutUrl: `${cb.url}/wsfed-cleanup` }],
      extra: {
        oidc: {
          clients: [
            { client_id: 'spa', client_name: 'Single-page app', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: [`${cb.url}/spa`], post_logout_redirect_uris: [`${cb.url}/out`], frontchannel_logout_uri: `${cb.url}/fc` },
            { client_id: 'web', client_secret: SECRET_A, application_type: 'native', redirect_uris: [`${cb.url}/web`] },
            { client_id: 'web2', client_secret: SECRET_B, application_type: 'native', redirect_uris: [`${cb.url}/web2`] },
            { client_id: 'jwt-app', application_type: 'native', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk] }, redirect_uris: [`${cb.url}/jwt`], resources: ['urn:test:api'] },
            { client_id: 'cli', application_type: 'native', token_endpoint_auth_method: 'none', grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'] },
          ],
          resources: [{ identifier: 'urn:test:api', scopes: ['user_impersonation'], claims: [{ attribute: 'department', claimType: 'http://schemas.example.com/claims/department' }] }],
        },
      },
    });
    issuer = `${gh.url}/adfs`;
    dispatcher = new Agent({ connect: { ca: gh.tlsCertPem } });
    const dir = await createDirectory({ kind: 'ldap', dcs: [bed.ldapsUrl], caCertPem: bed.caCertPem, baseDn: bed.baseDn, serviceAccount: { dn: bed.service.dn, password: bed.service.password } });
    const user = (await dir.findUser({ upn: 'alice@corp.example.com' }))!;
    alice = { objectGuid: user.objectGuid, immutableId: user.immutableId };
    await dir.close();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
    await cb?.close();
  });

  it('publishes discovery with issuer https://{host}/adfs and AD FS’s endpoint paths, and the signing certificate in JWKS by its thumbprint', async () => {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`, { dispatcher });
    const d = (await res.json()) as Record<string, unknown>;
    assert.equal(d.issuer, issuer);
    assert.equal(d.authorization_endpoint, `${gh.url}/adfs/oauth2/authorize`);
    assert.equal(d.token_endpoint, `${gh.url}/adfs/oauth2/token`);
    assert.equal(d.userinfo_endpoint, `${gh.url}/adfs/userinfo`);
    assert.equal(d.jwks_uri, `${gh.url}/adfs/discovery/keys`);
    assert.equal(d.end_session_endpoint, `${gh.url}/adfs/oauth2/logout`);
    assert.equal(d.device_authorization_endpoint, `${gh.url}/adfs/oauth2/devicecode`);
    assert.deepEqual(d.id_token_signing_alg_values_supported, ['RS256']);
    for (const s of ['openid', 'profile', 'email', 'allatclaims']) assert.ok((d.scopes_supported as string[]).includes(s), s);
    const jwks = (await (await fetch(`${gh.url}/adfs/discovery/keys`, { dispatcher })).json()) as { keys: Record<string, unknown>[] };
    const cert = await gh.signingCertificate();
    const thumbprint = createHash('sha1').update(Buffer.from(cert.base64Der, 'base64')).digest('base64url');
    assert.equal(jwks.keys[0]!.kid, thumbprint);
    assert.deepEqual(jwks.keys[0]!.x5c, [cert.base64Der]);
    for (const k of jwks.keys) assert.equal(k.d, undefined, 'no private part is published');
  });

  it('signs alice in with authorization code + PKCE in Chromium: ID token verified and AD’s claims, then refresh, userinfo and logout', async () => {
    const config = await discover(issuer, gh.tlsCertPem, 'spa', undefined, oidc.None());
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const { callback, verifier, state } = await authorize(context, config, `${cb.url}/spa`);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    const id = tokens.claims()!;
    assert.equal(id.iss, issuer);
    assert.equal(id.aud, 'spa');
    assert.equal(id.sub, alice.objectGuid);
    assert.equal(id.upn, 'alice@corp.example.com');
    assert.equal(id.unique_name, 'CORP\\alice');
    assert.match(String(id.sid), /^S-1-5-21-\d+-\d+-\d+-\d+$/);
    assert.deepEqual(id.amr, ['pwd']);
    assert.equal(id.given_name, 'Alice');
    assert.ok((id.groups as string[]).includes('GH Staff'), 'allatclaims carries the groups');
    assert.ok(typeof id.auth_time === 'number');
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { kid: string; alg: string };
    assert.equal(header.alg, 'RS256');
    assert.ok(tokens.refresh_token, 'a refresh token with the code');

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'sliding: every refresh returns a new refresh token');
    assert.equal(refreshed.claims()!.sub, alice.objectGuid);

    const info = await oidc.fetchUserInfo(config, refreshed.access_token, alice.objectGuid);
    assert.equal(info.upn, 'alice@corp.example.com');
    assert.match(String(info.email), /^alice@/);

    const issued = await recentAudit('oidc.token');
    assert.ok(issued.some((e) => e.outcome === 'success' && e.relyingParty === 'spa' && e.details?.grant_type === 'refresh_token'), 'every token issued is audited');

    const page = await context.newPage();
    const before = cb.hits.length;
    await page.goto(oidc.buildEndSessionUrl(config, { id_token_hint: refreshed.id_token!, post_logout_redirect_uri: `${cb.url}/out` }).href);
    await page.waitForURL((u) => u.href.startsWith(`${cb.url}/out`));
    const fc = cb.hits.slice(before).find((h) => h.pathname === '/fc');
    assert.ok(fc, 'the front-channel logout URI was loaded');
    assert.equal(fc.searchParams.get('iss'), issuer);
    await page.close();

    // Signed out: the next authorization request asks for the password again.
    const again = await context.newPage();
    await again.goto(oidc.buildAuthorizationUrl(config, { redirect_uri: `${cb.url}/spa`, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' }).href);
    await again.waitForSelector('#passwordInput');
    await context.close();
  });

  it('shares one SSO session with WS-Federation: no second password, prompt=login asks again, WS-Fed sign-out ends it', async () => {
    const config = await discover(issuer, gh.tlsCertPem, 'spa', undefined, oidc.None());
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    await wsfedSignIn(context);

    const sso = await authorize(context, config, `${cb.url}/spa`, {}, false);
    assert.ok(sso.callback.searchParams.get('code'), 'a code without a login page');
    assert.ok(!sso.seen.some((u) => u.startsWith(`${gh.url}/adfs/oauth2/signin/`)), 'no login page was shown');

    const fresh = await authorize(context, config, `${cb.url}/spa`, { prompt: 'login' }, true);
    assert.ok(fresh.callback.searchParams.get('code'), 'prompt=login: the password again, then a code');

    const out = await context.newPage();
    await out.goto(`${gh.url}/adfs/ls/?wa=wsignout1.0`);
    await out.waitForSelector('text=You have signed out.');
    await out.goto(oidc.buildAuthorizationUrl(config, { redirect_uri: `${cb.url}/spa`, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' }).href);
    await out.waitForSelector('#passwordInput');
    await context.close();
  });

  it('prompt=none signs in silently from an SSO session a WS-Federation sign-in started, and answers login_required without one', async () => {
    const config = await discover(issuer, gh.tlsCertPem, 'spa', undefined, oidc.None());
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    await wsfedSignIn(context);

    const silent = await authorize(context, config, `${cb.url}/spa`, { prompt: 'none' }, false);
    assert.equal(silent.callback.searchParams.get('error'), null, String(silent.callback.searchParams.get('error_description')));
    const tokens = await oidc.authorizationCodeGrant(config, silent.callback, { pkceCodeVerifier: silent.verifier, expectedState: silent.state });
    assert.equal(tokens.claims()!.sub, alice.objectGuid);
    assert.deepEqual(tokens.claims()!.amr, ['pwd'], 'the methods of the WS-Federation sign-in');
    assert.ok(!silent.seen.some((u) => u.includes('#passwordInput') || u.startsWith(`${gh.url}/adfs/ls/`)), 'no login page');
    await context.close();

    // No Gatehouse session in this browser: the client learns login_required at its redirect URI, no page is shown.
    const nobody = await browser.newContext({ ignoreHTTPSErrors: true });
    const none = await authorize(nobody, config, `${cb.url}/spa`, { prompt: 'none' }, false);
    assert.equal(none.callback.searchParams.get('error'), 'login_required');
    assert.equal(none.callback.searchParams.get('state'), none.state);
    assert.ok((await recentAudit('oidc.authorize')).some((e) => e.reason === 'login_required' && e.relyingParty === 'spa'), 'audited');
    await nobody.close();
  });

  it('a confidential client authenticates with private_key_jwt and gets a JWT access token for its resource with the resource’s claims', async () => {
    const config = await discover(issuer, gh.tlsCertPem, 'jwt-app', undefined, oidc.PrivateKeyJwt({ key: jwtKey.privateKey, kid: 'rp-key-1' }));
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const { callback, verifier, state } = await authorize(context, config, `${cb.url}/jwt`, { resource: 'urn:test:api', scope: 'openid user_impersonation' });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource: 'urn:test:api' });
    assert.equal(tokens.claims()!.sub, alice.objectGuid);
    const at = jwtPayload(tokens.access_token);
    assert.equal(at.aud, 'urn:test:api');
    assert.equal(at.iss, issuer);
    assert.equal(at.appid, 'jwt-app');
    assert.equal(at.upn, 'alice@corp.example.com');
    assert.deepEqual(at.amr, ['pwd']);
    assert.match(String(at.scope), /user_impersonation/);
    await context.close();
  });

  it('completes the device code grant with the code typed into the verification page', async () => {
    const config = await discover(issuer, gh.tlsCertPem, 'cli', undefined, oidc.None());
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    assert.equal(new URL(device.verification_uri).pathname, '/adfs/oauth2/deviceauth');
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(device.verification_uri);
    await page.fill('#userCodeInput', device.user_code);
    await page.click('#continueButton');
    await page.click('#confirmButton');
    await signInOnPage(page, 'alice@corp.example.com', bed.users.alice!.password);
    await page.waitForSelector('text=You are signed in on your device');
    const tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
    assert.equal(tokens.claims()!.sub, alice.objectGuid);
    assert.equal(tokens.claims()!.upn, 'alice@corp.example.com');
    await context.close();
  });

  it('refuses an unregistered redirect_uri with a page, never a redirect, and audits it', async () => {
    const res = await fetch(`${gh.url}/adfs/oauth2/authorize?client_id=spa&response_type=code&scope=openid&code_challenge=${'x'.repeat(43)}&code_challenge_method=S256&redirect_uri=${encodeURIComponent('https://attacker.example/cb')}`, { dispatcher, redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /invalid_redirect_uri/);
    assert.ok((await recentAudit('oidc.authorize')).some((e) => e.reason === 'invalid_redirect_uri' && e.relyingParty === 'spa'));
  });

  it('refuses a PKCE mismatch, a reused code, an expired refresh token and another client’s secret, each audited', async () => {
    const config = await discover(issuer, gh.tlsCertPem, 'web', undefined, oidc.ClientSecretBasic(SECRET_A));
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const first = await authorize(context, config, `${cb.url}/web`);
    await assert.rejects(oidc.authorizationCodeGrant(config, first.callback, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: first.state }), (e: { error?: string }) => e.error === 'invalid_grant');
    const pkce = (await recentAudit('oidc.token')).find((e) => e.outcome === 'failure' && e.relyingParty === 'web');
    assert.equal(pkce?.reason, 'invalid_grant');
    assert.match(String(pkce?.details?.detail), /code_verifier does not match code_challenge/);

    const second = await authorize(context, config, `${cb.url}/web`, {}, false);
    const tokens = await oidc.authorizationCodeGrant(config, second.callback, { pkceCodeVerifier: second.verifier, expectedState: second.state });
    await assert.rejects(oidc.authorizationCodeGrant(config, second.callback, { pkceCodeVerifier: second.verifier, expectedState: second.state }), (e: { error?: string }) => e.error === 'invalid_grant');
    assert.ok((await recentAudit('oidc.grant.revoked')).length > 0, 'a replayed code revokes what it issued');
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (e: { error?: string }) => e.error === 'invalid_grant', 'the replay revoked the refresh token too');

    const third = await authorize(context, config, `${cb.url}/web`, {}, false);
    const live = await oidc.authorizationCodeGrant(config, third.callback, { pkceCodeVerifier: third.verifier, expectedState: third.state });
    // The refresh token's lifetime runs out (what `refreshTokenLifetimeMinutes` later does by the clock).
    const db = new Database(gh.config.store.sqlitePath);
    db.prepare("UPDATE oidc_models SET expires_at = 1 WHERE model = 'RefreshToken'").run();
    db.close();
    await assert.rejects(oidc.refreshTokenGrant(config, live.refresh_token!), (e: { error?: string }) => e.error === 'invalid_grant');

    const res = await fetch(`${gh.url}/adfs/oauth2/token`, {
      dispatcher,
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`web:${SECRET_B}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: live.refresh_token! }).toString(),
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    const refusals = (await recentAudit('oidc.token')).filter((e) => e.outcome === 'failure');
    assert.ok(refusals.some((e) => e.reason === 'invalid_client' && e.relyingParty === 'web'), 'the wrong secret is audited');
    assert.ok(refusals.filter((e) => e.reason === 'invalid_grant').length >= 3, 'PKCE, replay and expiry are audited');
    await context.close();
  });
});
