import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { relayedDirectory, type Relay } from '../support/dc-relay.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';

const APP = 'urn:test:app';

describe('SSO while no domain controller answers (Samba behind a relay that is cut)', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  let relay: Relay;
  before(async () => {
    bed = await getTestBed();
    let directory;
    ({ relay, directory } = await relayedDirectory(bed));
    // Every SSO token reads AD here, so the outage shows at once; with the default
    // session.userRereadSeconds a user read within it still gets tokens (sso-account-state.test.ts).
    gh = await startTestGatehouse({ directory, trusts: [{ identifier: APP, name: 'App', replyUrls: ['https://app.example.test/'] }], extra: { session: { userRereadSeconds: 0 } } });
  });
  after(async () => {
    await gh.stop();
    await relay.cut();
  });

  it('answers 503 with a try-again page and keeps the session, which works again once a DC is back', async () => {
    const alice = bed.users.alice!;
    const client = new WebClient([gh.tlsCertPem]);
    assert.match(await (await postLogin(client, gh.url, alice.upn, alice.password)).text(), /wresult/);
    const sso = `${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${APP}`;
    assert.match(await (await client.get(sso)).text(), /wresult/, 'SSO works while the DC answers');

    await relay.cut();
    const down = await client.get(sso);
    assert.equal(down.status, 503);
    assert.equal(down.headers.get('retry-after'), '30');
    assert.match(await down.text(), /Sign-in is not available right now/);
    assert.ok(!client.setCookies.some((c) => /gatehouse_sso=;/.test(c)), 'the session cookie was not cleared');

    await relay.open();
    // The pool retries a DC marked down after retryDownAfterMs.
    await new Promise((r) => setTimeout(r, 300));
    assert.match(await (await client.get(sso)).text(), /wresult/, 'the same session signs in again without a password');
  });
});
