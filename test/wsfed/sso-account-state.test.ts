import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Attribute, Change, Client } from 'ldapts';
import { createUser } from '../ad/fixtures.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { configSchema } from '../../config/schema.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';

const APP = 'urn:test:app';
const defaultReread = configSchema.shape.session.parse({}).userRereadSeconds;

/**
 * session.userRereadSeconds 0 re-reads the user for every SSO token: a disabled user stops at
 * once. With the default, the SSO re-issue may use a read up to that old: the user stops within it.
 */
for (const rereadSeconds of [0, defaultReread]) {
  describe(`SSO stops for an account disabled in AD after it signed in, session.userRereadSeconds ${rereadSeconds} (Samba)`, () => {
    let bed: TestBed;
    let gh: RunningTestGatehouse;
    let admin: Client;
    before(async () => {
      bed = await getTestBed();
      gh = await startTestGatehouse({
        directory: testBedDirectory(bed, bed.caCertPath),
        trusts: [{ identifier: APP, name: 'App', replyUrls: ['https://app.example.test/'] }],
        ...(rereadSeconds === defaultReread ? {} : { extra: { session: { userRereadSeconds: rereadSeconds } } }),
      });
      admin = new Client({ url: bed.ldapsUrl, tlsOptions: { ca: bed.caCertPem }, timeout: 10_000 });
      await admin.bind(bed.admin.dn, bed.admin.password);
    });
    after(async () => {
      await admin.unbind();
      await gh.stop();
    });

    it(`asks for the password again ${rereadSeconds === 0 ? 'at once' : `within ${rereadSeconds} s`}, ends the session and audits why`, async () => {
      const sam = `sso${randomBytes(3).toString('hex')}`;
      const user = await createUser({ client: admin, baseDn: bed.baseDn, realm: bed.realm }, { key: sam, sam, expected: 'ok' }, undefined, bed.ldapsUrl, bed.caCertPem);
      const client = new WebClient([gh.tlsCertPem]);
      const signedIn = await postLogin(client, gh.url, user.upn, user.password);
      assert.match(await signedIn.text(), /wresult/);
      assert.match(await (await client.get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${APP}`)).text(), /wresult/, 'SSO works while enabled');

      await admin.modify(user.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['514'] }) }));
      const disabledAt = Date.now();
      let page = await (await client.get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${APP}`)).text();
      // The last read of the user was the password sign-in, before the disable: it is no older than the interval.
      while (/wresult/.test(page) && Date.now() - disabledAt < rereadSeconds * 1000 + 1000) {
        await sleep(1000);
        page = await (await client.get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${APP}`)).text();
      }
      assert.doesNotMatch(page, /wresult/, `no token ${rereadSeconds} s after the disable`);
      assert.match(page, /name="Password"/);
      assert.ok(!client.jar.get(new URL(gh.url).host)?.has('__Host-gatehouse_sso'), 'the session cookie is gone');
      await gh.runtime.audit.flush();
      const store = sqliteStore(gh.config.store.sqlitePath);
      const events = await store.audit.recent(5, { user: user.upn });
      await store.close();
      assert.equal(events[0]?.reason, 'session-account-disabled');
    });
  });
}
