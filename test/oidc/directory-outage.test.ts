import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { relayedDirectory, type Relay } from '../support/dc-relay.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { readForm, WebClient } from '../support/web-client.js';

const RP = 'https://oidc.app.test';
const SECRET = 's'.repeat(40);

describe('OpenID Connect token requests while no domain controller answers (Samba behind a relay that is cut)', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  let relay: Relay;
  before(async () => {
    bed = await getTestBed();
    let directory;
    ({ relay, directory } = await relayedDirectory(bed));
    gh = await startTestGatehouse({ directory, extra: { oidc: { clients: [{ client_id: 'web', client_secret: SECRET, application_type: 'web', redirect_uris: [`${RP}/cb`] }] } } as never });
  });
  after(async () => {
    await gh?.stop();
    await relay?.cut();
  });

  it('a refresh that needs the user read answers 503 with Retry-After and temporarily_unavailable, audited, not the provider’s 500', async () => {
    const alice = bed.users.alice!;
    const client = new WebClient([gh.tlsCertPem]);
    const authorize = `${gh.url}/adfs/oauth2/authorize?${new URLSearchParams({ client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: `${RP}/cb` })}`;
    const toLogin = await client.get(authorize);
    const loginUrl = new URL(toLogin.headers.get('location')!, gh.url).href;
    const form = readForm(await (await client.get(loginUrl)).text());
    let res = await client.post(new URL(form.action, gh.url).href, { ...form.fields, UserName: alice.upn, Password: alice.password });
    let next = new URL(res.headers.get('location')!, gh.url);
    while (next.origin === gh.url) next = new URL((await client.get(next.href)).headers.get('location')!, next);
    const code = next.searchParams.get('code');
    assert.ok(code, next.href);

    const dispatcher = new Agent({ connect: { ca: gh.tlsCertPem } });
    const token = (body: Record<string, string>) =>
      fetch(`${gh.url}/adfs/oauth2/token`, {
        dispatcher,
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`web:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(body).toString(),
      });
    res = (await token({ grant_type: 'authorization_code', code, redirect_uri: `${RP}/cb` })) as never;
    const tokens = (await res.json()) as { refresh_token: string };
    assert.equal(res.status, 200);

    await relay.cut();
    const refused = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '30');
    assert.equal(((await refused.json()) as { error: string }).error, 'temporarily_unavailable');
    await new Promise((r) => setTimeout(r, 150));
    const events = await gh.runtime.store.audit.recent(10, { type: 'oidc.token' });
    assert.ok(events.some((e) => e.outcome === 'failure' && e.reason === 'temporarily_unavailable' && e.relyingParty === 'web'), 'audited');
    assert.equal((await gh.runtime.store.audit.recent(10, { type: 'oidc.request' })).length, 0, 'no server_error');
  });
});
