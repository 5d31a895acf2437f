import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { AuditEvent } from '../../store/types.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, readForm, WebClient } from '../support/web-client.js';
import { send } from '../wstrust/client.js';

/*
 * The extranet lockout counts the account, not the text typed: every spelling of one user's name
 * spends one budget, and a DOMAIN\ that is not ours names nobody (the review's bypass: after the
 * UPN was locked, `D0\bob` … `D14\bob` reached the directory and `ZZ\bob` got a token).
 */

async function signIn(gh: RunningTestGatehouse, name: string, password: string): Promise<string> {
  return (await postLogin(new WebClient([gh.tlsCertPem]), gh.url, name, password)).text();
}

async function changePassword(gh: RunningTestGatehouse, name: string, oldPassword: string): Promise<string> {
  const client = new WebClient([gh.tlsCertPem]);
  const page = await client.get(`${gh.url}/adfs/portal/updatepassword/`);
  const { action, fields } = readForm(await page.text());
  const form = { ...fields, UserName: name, OldPassword: oldPassword, NewPassword: 'Another-pass-9', ConfirmNewPassword: 'Another-pass-9' };
  return (await client.post(new URL(action, gh.url).href, form)).text();
}

async function audit(gh: RunningTestGatehouse, type: string, n: number): Promise<AuditEvent[]> {
  await gh.runtime.audit.flush();
  const store = sqliteStore(gh.config.store.sqlitePath);
  try {
    return await store.audit.recent(n, { type });
  } finally {
    await store.close();
  }
}

const TOKEN = /name="wresult"/;

describe('extranet lockout per account, file directory', () => {
  const bob = { upn: 'bob@corp.example.com', password: 'Passw0rd!', objectGuid: '0f0e0d0c-0b0a-0908-0706-050403020100' };
  const carl = { upn: 'carl@corp.example.com', password: 'Passw0rd!', objectGuid: '0f0e0d0c-0b0a-0908-0706-050403020101' };
  let gh: RunningTestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ directory: { users: [bob, carl] }, extra: { lockout: { extranetThreshold: 3, observationWindowMinutes: 30 } } });
  });
  after(() => gh.stop());

  it('locks every spelling once the UPN is locked, and other DOMAIN\\ parts name nobody', async () => {
    for (let i = 0; i < 3; i++) await signIn(gh, bob.upn, `guess-${i}`);
    for (const name of ['bob', 'CORP\\bob', 'corp\\BOB', 'BOB@CORP.EXAMPLE.COM', 'ZZ\\bob', 'D0\\bob']) {
      assert.doesNotMatch(await signIn(gh, name, bob.password), TOKEN, name);
    }
    const events = await audit(gh, 'signin', 6);
    // Newest first: the two foreign-domain spellings are nobody, the four of bob's own are locked.
    assert.deepEqual(events.map((e) => e.reason), ['no-such-user', 'no-such-user', 'extranet-lockout', 'extranet-lockout', 'extranet-lockout', 'extranet-lockout']);
    assert.deepEqual(events.slice(2).map((e) => e.user), Array(4).fill(bob.upn));
  });

  it('counts guesses under DOMAIN\\sam and sam toward the same account as the UPN', async () => {
    await signIn(gh, 'carl', 'guess-1');
    await signIn(gh, 'CORP\\carl', 'guess-2');
    await signIn(gh, carl.upn, 'guess-3');
    assert.doesNotMatch(await signIn(gh, 'carl', carl.password), TOKEN);
    assert.equal((await audit(gh, 'signin', 1))[0]?.reason, 'extranet-lockout');
  });

  it('refuses the locked account over WS-Trust in any spelling, and the change-password page too', async () => {
    for (const name of ['bob', 'Q\\bob', 'CORP\\bob']) {
      const res = await send(gh, 'msal-python-13', { username: name, password: bob.password, appliesTo: 'urn:federation:MicrosoftOnline' });
      assert.equal(res.status, 500, name);
      assert.doesNotMatch(res.text, /RequestedSecurityToken/, name);
    }
    assert.doesNotMatch(await changePassword(gh, 'CORP\\bob', bob.password), /Your password has been changed/);
    const [change] = await audit(gh, 'password.change', 1);
    assert.equal(change?.reason, 'extranet-lockout');
  });
});

describe('extranet lockout per account, Active Directory (Samba) with the NetBIOS domain read from the DC', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  before(async () => {
    bed = await getTestBed();
    // No netbiosDomain in the config, as `gatehouse init` writes it: it is read from CN=Partitions.
    const { netbiosDomain: _unset, ...directory } = testBedDirectory(bed, bed.caCertPath) as { netbiosDomain?: string } & ReturnType<typeof testBedDirectory>;
    gh = await startTestGatehouse({ directory, extra: { lockout: { extranetThreshold: 4, observationWindowMinutes: 30 } } });
  });
  after(() => gh.stop());

  it('signs in CORP\\badpw (the DC’s own NetBIOS name) and refuses OTHER\\badpw without a bind', async () => {
    const badpw = bed.users.badpw!;
    assert.match(await signIn(gh, `${bed.netbios}\\badpw`, badpw.password), TOKEN);
    assert.doesNotMatch(await signIn(gh, 'OTHER\\badpw', badpw.password), TOKEN);
    assert.equal((await audit(gh, 'signin', 1))[0]?.reason, 'no-such-user');
  });

  it('after the UPN is locked, badpw and CORP\\badpw with the right password get no token either', async () => {
    const badpw = bed.users.badpw!;
    for (let i = 0; i < 4; i++) await signIn(gh, badpw.upn, `wrong-${i}`);
    for (const name of ['badpw', `${bed.netbios}\\badpw`, badpw.upn.toUpperCase()]) {
      assert.doesNotMatch(await signIn(gh, name, badpw.password), TOKEN, name);
    }
    const events = await audit(gh, 'signin', 3);
    assert.deepEqual(events.map((e) => [e.user, e.reason]), Array(3).fill([badpw.upn, 'extranet-lockout']));
  });
});
