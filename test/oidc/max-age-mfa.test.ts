import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch, type Response } from 'undici';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { startMfaHook, type HookDecision } from '../support/mfa-hook.js';
import { readForm, WebClient } from '../support/web-client.js';
import { jwtPayload } from './helpers.js';

const RP = 'https://oidc.app.test';
const SECRET = 'c'.repeat(40);
const HOOK_SECRET = 'hook secret: thirty-two bytes or more, random';
const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';
const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00', groups: ['Push Users'] };

let gh: RunningTestGatehouse;
let hook: Awaited<ReturnType<typeof startMfaHook>>;
let decide: () => HookDecision = () => ({ status: 'pending' });
let dispatcher: Agent;

/** Follows redirects while they stay on Gatehouse: the page it stops at, or the client's callback. */
async function follow(client: WebClient, first: Response): Promise<{ page?: string; callback?: URL }> {
  let res = first;
  let at = new URL(gh.url);
  for (let hops = 0; hops < 10; hops++) {
    const location = res.headers.get('location');
    if (!location) return { page: await res.text() };
    at = new URL(location, at);
    if (at.origin !== gh.url) return { callback: at };
    res = await client.get(at.href);
  }
  throw new Error('too many redirects');
}

const authorizeUrl = (extra: Record<string, string> = {}) => `${gh.url}/adfs/oauth2/authorize?${new URLSearchParams({ client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: `${RP}/cb`, ...extra })}`;

async function postForm(client: WebClient, page: string, extra: Record<string, string>): Promise<Response> {
  const { action, fields } = readForm(page);
  return client.post(new URL(action, gh.url).href, { ...fields, ...extra });
}

/** The ID token's claims for the code in `callback` (client_secret_basic at the token endpoint). */
async function idToken(callback: URL): Promise<Record<string, unknown>> {
  const res = await fetch(`${gh.url}/adfs/oauth2/token`, {
    dispatcher,
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`web:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: `${RP}/cb` }).toString(),
  });
  const body = (await res.json()) as { id_token: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return jwtPayload(body.id_token);
}

describe('OpenID Connect max_age and acr_values (multipleauthn) through the sign-in flow', () => {
  before(async () => {
    hook = await startMfaHook(HOOK_SECRET, () => decide());
    gh = await startTestGatehouse({
      directory: { users: [alice] },
      extra: {
        mfa: { external: { url: hook.url, secret: HOOK_SECRET, name: 'push', timeoutMs: 400, groups: ['Push Users'] } },
        oidc: { clients: [{ client_id: 'web', client_secret: SECRET, application_type: 'web', redirect_uris: [`${RP}/cb`] }] },
      } as never,
    });
    dispatcher = new Agent({ connect: { ca: gh.tlsCertPem } });
  });
  after(async () => {
    await gh?.stop();
    await hook?.close();
  });

  it('max_age: a session older than asked is asked for the password again; a younger one is not', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const login = await follow(client, await client.get(authorizeUrl()));
    const first = await follow(client, await postForm(client, login.page!, { UserName: alice.upn, Password: alice.password }));
    const t1 = Number((await idToken(first.callback!)).auth_time);

    const young = await follow(client, await client.get(authorizeUrl({ max_age: '3600' })));
    assert.ok(young.callback?.searchParams.get('code'), 'a session within max_age signs in without a page');

    await new Promise((r) => setTimeout(r, 2100));
    const old = await follow(client, await client.get(authorizeUrl({ max_age: '1' })));
    assert.ok(old.page && /name="Password"/.test(old.page), 'the password is asked again');
    const again = await follow(client, await postForm(client, old.page, { UserName: alice.upn, Password: alice.password }));
    const t2 = Number((await idToken(again.callback!)).auth_time);
    assert.ok(t2 >= t1 + 2, `auth_time is the new sign-in's (${t1} → ${t2})`);
  });

  it('acr_values=multipleauthn: the second factor is asked after the password, and amr carries mfa once it was approved', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const login = await follow(client, await client.get(authorizeUrl({ acr_values: MULTIPLE_AUTHN })));
    const mfa = await follow(client, await postForm(client, login.page!, { UserName: alice.upn, Password: alice.password }));
    assert.ok(mfa.page && /name="MfaFlow"/.test(mfa.page), 'the second-factor page, not a code');
    assert.equal(hook.requests.at(-1)?.body.type, 'begin');

    const pending = await follow(client, await postForm(client, mfa.page, {}));
    assert.equal(pending.callback, undefined, 'no code while the factor is not approved');
    decide = () => ({ status: 'approved' });
    const done = await follow(client, await postForm(client, pending.page!, {}));
    assert.ok(done.callback?.searchParams.get('code'), done.page?.slice(0, 300));
    const claims = await idToken(done.callback!);
    assert.ok((claims.amr as string[]).includes('mfa'), JSON.stringify(claims.amr));
    assert.ok((claims.amr as string[]).includes('pwd'));

    // Without acr_values the same client gets a password-only amr.
    const plain = new WebClient([gh.tlsCertPem]);
    const page = await follow(plain, await plain.get(authorizeUrl()));
    const signedIn = await follow(plain, await postForm(plain, page.page!, { UserName: alice.upn, Password: alice.password }));
    assert.deepEqual((await idToken(signedIn.callback!)).amr, ['pwd']);
  });
});
