import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';
import { sqliteStore } from '../../store/sqlite/index.js';

let bed: TestBed;
let gh: RunningTestGatehouse;

const outcomes: [string, string | undefined, RegExp][] = [
  ['badpw', 'not-the-password', /Incorrect user ID or password/],
  ['pwexpired', undefined, /password has expired/],
  ['mustchange', undefined, /must change your password/],
  ['disabled', undefined, /account is disabled/],
  ['locked', undefined, /account is locked/],
  ['expired', undefined, /account has expired/],
  ['hours', undefined, /at this time of day/],
];

describe('login page per Active Directory outcome (Samba)', () => {
  before(async () => {
    bed = await getTestBed();
    gh = await startTestGatehouse({ directory: testBedDirectory(bed, bed.caCertPath) });
  });
  after(() => gh.stop());

  for (const [key, password, message] of outcomes) {
    it(`shows “${message.source}” for ${key} and issues no token`, async () => {
      const user = bed.users[key]!;
      const res = await postLogin(new WebClient([gh.tlsCertPem]), gh.url, user.upn, password ?? user.password);
      const html = await res.text();
      assert.match(html, message);
      assert.doesNotMatch(html, /wresult/);
      assert.ok(!html.includes(user.password), 'the password is never echoed');
    });
  }

  it('answers an unknown user exactly like a wrong password', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    const texts: string[] = [];
    for (const upn of ['nobody@corp.example.com', bed.users.badpw!.upn]) {
      const html = await (await postLogin(client, gh.url, upn, 'Wrong-1')).text();
      texts.push(/<p id="errorText"[^>]*>([^<]*)<\/p>/.exec(html)![1]!);
    }
    assert.equal(texts[0], texts[1]);
  });

  it('records a failure audit event with the reason and never the password', async () => {
    await gh.runtime.audit.flush();
    const store = sqliteStore(gh.config.store.sqlitePath);
    const events = await store.audit.recent(100, { type: 'signin' });
    await store.close();
    const disabled = events.find((e) => e.user === bed.users.disabled!.upn);
    assert.equal(disabled?.outcome, 'failure');
    assert.equal(disabled?.reason, 'account-disabled');
    assert.equal(disabled?.relyingParty, 'urn:federation:MicrosoftOnline');
    assert.ok(!JSON.stringify(events).includes('Passw0rd!'));
  });
});
