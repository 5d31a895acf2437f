import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'ldapts';
import { FileDirectory, hashPassword } from '../../directory/index.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { createUser, type FixtureUser } from '../ad/fixtures.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { tempDir } from '../support/tmp.js';
import { decode, readForm, WebClient } from '../support/web-client.js';

const SIGNIN = '/adfs/ls/?wa=wsignin1.0&wtrealm=urn%3Afederation%3AMicrosoftOnline';
const CHANGE = '/adfs/portal/updatepassword/';
const newPassword = () => `Nw-${randomBytes(6).toString('base64url')}9!`;
const errorText = (html: string) => decode(/<p id="errorText"[^>]*>([^<]*)<\/p>/.exec(html)?.[1] ?? '');

describe('change-password page /adfs/portal/updatepassword/ (Samba)', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  let admin: Client;
  before(async () => {
    bed = await getTestBed();
    gh = await startTestGatehouse({ directory: testBedDirectory(bed, bed.caCertPath) });
    admin = new Client({ url: bed.ldapsUrl, tlsOptions: { ca: bed.caCertPem }, timeout: 10_000 });
    await admin.bind(bed.admin.dn, bed.admin.password);
  });
  after(async () => {
    await admin.unbind();
    await gh.stop();
  });

  /** A fresh user of this file whose password must be changed at next logon (pwdLastSet = 0). */
  const mustChangeUser = (): Promise<FixtureUser> => {
    const sam = `chg${randomBytes(3).toString('hex')}`;
    return createUser({ client: admin, baseDn: bed.baseDn, realm: bed.realm }, { key: sam, sam, expected: 'must-change-password', attrs: { pwdLastSet: '0' } }, undefined, bed.ldapsUrl, bed.caCertPem);
  };

  const signIn = async (client: WebClient, upn: string, password: string, start = SIGNIN) => {
    const { action, fields } = readForm(await (await client.get(gh.url + start)).text());
    return (await client.post(new URL(action, gh.url).href, { ...fields, UserName: upn, Password: password })).text();
  };

  const changeForm = async (client: WebClient, query = '') => readForm(await (await client.get(`${gh.url}${CHANGE}${query}`)).text());

  const change = async (client: WebClient, fields: Record<string, string>, values: Record<string, string>) => {
    const res = await client.post(gh.url + CHANGE, { ...fields, ...values });
    return { status: res.status, html: await res.text() };
  };

  it('lets a must-change user change the password from the login page, then sign in with the new one', async () => {
    const user = await mustChangeUser();
    const client = new WebClient([gh.tlsCertPem]);
    const refused = await signIn(client, user.upn, user.password);
    assert.match(refused, /must change your password/);
    const link = decode(/<a href="([^"]*)" id="changePasswordLink"/.exec(refused)?.[1] ?? '');
    const linked = new URL(link, gh.url);
    assert.equal(linked.pathname, CHANGE);
    assert.equal(linked.searchParams.get('username'), user.upn);
    assert.ok(linked.searchParams.get('returnUrl')?.startsWith('/adfs/ls/?wa=wsignin1.0'));

    const page = await (await client.get(linked.href)).text();
    assert.match(page, /name="OldPassword"/);
    assert.match(page, /name="ConfirmNewPassword"/);
    assert.ok(page.includes(`value="${user.upn}"`), 'the user name is filled in');
    const { fields } = readForm(page);
    const fresh = newPassword();
    const done = await change(client, fields, { UserName: user.upn, OldPassword: user.password, NewPassword: fresh, ConfirmNewPassword: fresh });
    assert.match(done.html, /password has been changed/);
    const resume = decode(/<a href="([^"]*)" id="continueLink"/.exec(done.html)?.[1] ?? '');
    assert.equal(resume, linked.searchParams.get('returnUrl'));

    assert.match(await signIn(client, user.upn, fresh, resume), /wresult/);
    // Not a sign-in with the old password as proof: Samba honours the previous password for an
    // hour after a change ("old password allowed period"). pwdLastSet shows AD recorded the change.
    const { searchEntries } = await admin.search(user.dn, { scope: 'base', attributes: ['pwdLastSet'] });
    assert.notEqual(searchEntries[0]?.pwdLastSet, '0');
  });

  it('links an expired password (532) to the change page too', async () => {
    const user = bed.users.pwexpired!;
    const html = await signIn(new WebClient([gh.tlsCertPem]), user.upn, user.password);
    assert.match(html, /password has expired/);
    const link = new URL(decode(/<a href="([^"]*)" id="changePasswordLink"/.exec(html)?.[1] ?? ''), gh.url);
    assert.equal(link.pathname, CHANGE);
    assert.equal(link.searchParams.get('username'), user.upn);
  });

  it('refuses a wrong old password and leaves the password as it was', async () => {
    const user = await mustChangeUser();
    const client = new WebClient([gh.tlsCertPem]);
    const fresh = newPassword();
    const res = await change(client, (await changeForm(client)).fields, { UserName: user.upn, OldPassword: 'Not-the-password-1', NewPassword: fresh, ConfirmNewPassword: fresh });
    assert.match(errorText(res.html), /Incorrect user ID or password/);
    assert.doesNotMatch(res.html, /has been changed/);
    assert.match(await signIn(client, user.upn, user.password), /must change your password/, 'the old password is still the password');
    assert.match(await signIn(client, user.upn, fresh), /Incorrect user ID or password/);
  });

  it("explains a new password the domain's policy refuses", async () => {
    const user = await mustChangeUser();
    const client = new WebClient([gh.tlsCertPem]);
    const res = await change(client, (await changeForm(client)).fields, { UserName: user.upn, OldPassword: user.password, NewPassword: 'a', ConfirmNewPassword: 'a' });
    assert.match(errorText(res.html), /does not meet the domain's requirements/);
    assert.match(await signIn(client, user.upn, user.password), /must change your password/);
  });

  it('refuses a confirmation that differs, and a NUL in the new password, before the directory', async () => {
    const user = await mustChangeUser();
    const client = new WebClient([gh.tlsCertPem]);
    const mismatch = await change(client, (await changeForm(client)).fields, { UserName: user.upn, OldPassword: user.password, NewPassword: 'Abcdef-12345', ConfirmNewPassword: 'Abcdef-12346' });
    assert.match(errorText(mismatch.html), /do not match/);
    const nul = await change(client, (await changeForm(client)).fields, { UserName: user.upn, OldPassword: user.password, NewPassword: 'Abcdef-1\0x', ConfirmNewPassword: 'Abcdef-1\0x' });
    assert.match(errorText(nul.html), /Enter your user ID, your old password and a new password/);
    assert.match(await signIn(client, user.upn, user.password), /must change your password/);
  });

  it('refuses a post without its CSRF token and changes nothing', async () => {
    const user = await mustChangeUser();
    const client = new WebClient([gh.tlsCertPem]);
    await changeForm(client); // the browser has its CSRF cookie, the post lacks the token
    const fresh = newPassword();
    const res = await change(client, {}, { UserName: user.upn, OldPassword: user.password, NewPassword: fresh, ConfirmNewPassword: fresh });
    assert.equal(res.status, 400);
    assert.match(errorText(res.html), /expired or was already used/);
    assert.match(await signIn(client, user.upn, user.password), /must change your password/);
  });

  it('ignores a return path that leads anywhere but our own /adfs/ls/', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    for (const evil of ['https://evil.example/adfs/ls/', '//evil.example/adfs/ls/', '/adfs/ls/\\evil.example', '/adfs/ls/../../evil', '/adfs/lsx']) {
      const page = await (await client.get(`${gh.url}${CHANGE}?${new URLSearchParams({ returnUrl: evil })}`)).text();
      assert.ok(!('returnUrl' in readForm(page).fields), `dropped on GET: ${evil}`);
    }
    const user = await mustChangeUser();
    const fresh = newPassword();
    const done = await change(client, (await changeForm(client)).fields, { UserName: user.upn, OldPassword: user.password, NewPassword: fresh, ConfirmNewPassword: fresh, returnUrl: 'https://evil.example/adfs/ls/' });
    assert.match(done.html, /has been changed/);
    assert.doesNotMatch(done.html, /evil/);
    assert.doesNotMatch(done.html, /id="continueLink"/);
  });

  it('audits each change attempt with its outcome and never a password', async () => {
    const user = await mustChangeUser();
    const client = new WebClient([gh.tlsCertPem]);
    const fresh = newPassword();
    await change(client, (await changeForm(client)).fields, { UserName: user.upn, OldPassword: 'Wrong-old-1', NewPassword: fresh, ConfirmNewPassword: fresh });
    await change(client, (await changeForm(client)).fields, { UserName: user.upn, OldPassword: user.password, NewPassword: fresh, ConfirmNewPassword: fresh });
    await gh.runtime.audit.flush();
    const store = sqliteStore(gh.config.store.sqlitePath);
    const events = await store.audit.recent(10, { user: user.upn });
    await store.close();
    const changes = events.filter((e) => e.type === 'password.change').reverse();
    assert.deepEqual(changes.map((e) => [e.outcome, e.reason ?? null]), [['failure', 'bad-password'], ['success', null]]);
    const text = JSON.stringify(events);
    for (const secret of [fresh, user.password, 'Wrong-old-1']) assert.ok(!text.includes(secret), 'no password in the audit trail');
  });
});

describe('FileDirectory.changePassword', () => {
  it('checks the old password and policy, then rewrites the file atomically with a new hash', async () => {
    const dir = await tempDir();
    const path = join(dir, 'users.yaml');
    await writeFile(path, `# operator's note, kept\nusers:\n  - upn: ann@example.test\n    sam: ann\n    password: "${await hashPassword('Old-pass-1')}"\n    objectGuid: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\n`);
    const directory = await FileDirectory.load(path);
    assert.deepEqual(await directory.changePassword('ann@example.test', 'wrong-one', 'New-pass-22'), { ok: false, reason: 'bad-password', upn: 'ann@example.test' });
    assert.deepEqual(await directory.changePassword('ann@example.test', 'Old-pass-1', 'short'), { ok: false, reason: 'policy', upn: 'ann@example.test' });
    assert.deepEqual(await directory.changePassword('nobody@example.test', 'Old-pass-1', 'New-pass-22'), { ok: false, reason: 'no-such-user' });
    assert.deepEqual(await directory.changePassword('ann@example.test', '', 'New-pass-22'), { ok: false, reason: 'invalid-input' });
    assert.deepEqual(await directory.changePassword('ann@example.test', 'Old-pass-1', 'New-pass-22'), { ok: true, upn: 'ann@example.test' });
    assert.equal((await directory.authenticate('ann', 'New-pass-22')).ok, true);
    const reloaded = await FileDirectory.load(path);
    assert.equal((await reloaded.authenticate('ann', 'New-pass-22')).ok, true);
    assert.equal((await reloaded.authenticate('ann', 'Old-pass-1')).ok, false);
    const text = await readFile(path, 'utf8');
    assert.match(text, /# operator's note, kept/);
    assert.ok(!text.includes('New-pass-22'));
  });
});
