import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Attribute, Change, Client } from 'ldapts';
import { createUser } from '../ad/fixtures.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';

const APP = 'urn:test:app';

describe('SSO stops at once for an account disabled in AD after it signed in (Samba)', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  let admin: Client;
  before(async () => {
    bed = await getTestBed();
    gh = await startTestGatehouse({ directory: testBedDirectory(bed, bed.caCertPath), trusts: [{ identifier: APP, name: 'App', replyUrls: ['https://app.example.test/'] }] });
    admin = new Client({ url: bed.ldapsUrl, tlsOptions: { ca: bed.caCertPem }, timeout: 10_000 });
    await admin.bind(bed.admin.dn, bed.admin.password);
  });
  after(async () => {
    await admin.unbind();
    await gh.stop();
  });

  it('asks for the password again, ends the session and audits why', async () => {
    const sam = `sso${randomBytes(3).toString('hex')}`;
    const user = await createUser({ client: admin, baseDn: bed.baseDn, realm: bed.realm }, { key: sam, sam, expected: 'ok' }, undefined, bed.ldapsUrl, bed.caCertPem);
    const client = new WebClient([gh.tlsCertPem]);
    const signedIn = await postLogin(client, gh.url, user.upn, user.password);
    assert.match(await signedIn.text(), /wresult/);
    assert.match(await (await client.get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${APP}`)).text(), /wresult/, 'SSO works while enabled');

    await admin.modify(user.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['514'] }) }));
    const after = await (await client.get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${APP}`)).text();
    assert.doesNotMatch(after, /wresult/);
    assert.match(after, /name="Password"/);
    assert.ok(!client.jar.get(new URL(gh.url).host)?.has('__Host-gatehouse_sso'), 'the session cookie is gone');
    const store = sqliteStore(gh.config.store.sqlitePath);
    const events = await store.audit.recent(5, { user: user.upn });
    await store.close();
    assert.equal(events[0]?.reason, 'session-account-disabled');
  });
});
