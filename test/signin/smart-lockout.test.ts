import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { AuditEvent } from '../../store/types.js';
import { USERNAME_13 } from '../../sts/protocols/wstrust/versions.js';
import { extranetLockoutFromConfig } from '../../sts/signin/extranet-lockout.js';
import { httpsRequest } from '../entra/https-client.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { ENTRA_SIGNIN, postLogin, readForm, WebClient } from '../support/web-client.js';
import { fault } from '../wstrust/client.js';
import { rst } from '../wstrust/rst.js';

/*
 * Extranet smart lockout as AD FS's AdfsSmartLockoutEnforce / LogOnly behave, over HTTP with client
 * addresses named by X-Forwarded-For from a trusted proxy (the test client at 127.0.0.1).
 */

const users = [
  { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' },
  { upn: 'bob@corp.example.com', password: 'Passw0rd!', objectGuid: '0f0e0d0c-0b0a-0908-0706-050403020100' },
  { upn: 'carl@corp.example.com', password: 'Passw0rd!', objectGuid: '0f0e0d0c-0b0a-0908-0706-050403020101' },
  { upn: 'dora@corp.example.com', password: 'Passw0rd!', objectGuid: '0f0e0d0c-0b0a-0908-0706-050403020102' },
];
const [alice, bob, carl, dora] = users as [typeof users[0], typeof users[0], typeof users[0], typeof users[0]];
const TOKEN = /name="wresult"/;

const signIn = async (gh: RunningTestGatehouse, ip: string, name: string, password: string) => {
  const res = await postLogin(new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': ip }), gh.url, name, password);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
};

async function lastSignIn(gh: RunningTestGatehouse): Promise<AuditEvent> {
  return (await events(gh, 'signin'))[0]!;
}

async function events(gh: RunningTestGatehouse, type: string): Promise<AuditEvent[]> {
  await gh.runtime.audit.flush();
  const store = sqliteStore(gh.config.store.sqlitePath);
  try {
    return await store.audit.recent(1000, { type });
  } finally {
    await store.close();
  }
}

/** Get-AdfsAccountActivity of a user, read through the running server's store. */
async function activity(gh: RunningTestGatehouse, upn: string) {
  const located = await gh.runtime.directory.locate(upn);
  assert.ok(located.ok);
  return extranetLockoutFromConfig(gh.config.lockout, gh.runtime.store, gh.runtime.kek).show(located.account.key);
}

const behindProxy = { server: { trustedProxies: ['127.0.0.1'] } };

describe('extranet smart lockout, enforce mode', () => {
  let gh: RunningTestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ directory: { users }, extra: { ...behindProxy, lockout: { extranetThreshold: 3, familiarThreshold: 2, familiarAddresses: 3, observationWindowMinutes: 30 } } });
  });
  after(() => gh.stop());

  it('keeps the familiar address’s own budget while a spray from elsewhere locks the unfamiliar one', async () => {
    assert.match((await signIn(gh, '192.0.2.10', alice.upn, alice.password)).body, TOKEN);
    for (let i = 0; i < 3; i++) await signIn(gh, '203.0.113.5', alice.upn, `guess-${i}`);
    assert.doesNotMatch((await signIn(gh, '203.0.113.6', 'CORP\\alice', alice.password)).body, TOKEN, 'another unfamiliar address, another spelling');
    const refused = await lastSignIn(gh);
    assert.deepEqual([refused.reason, refused.details?.location, refused.clientIp], ['extranet-lockout', 'unfamiliar', '203.0.113.6']);
    assert.match((await signIn(gh, '192.0.2.10', 'alice', alice.password)).body, TOKEN);
    const ok = await lastSignIn(gh);
    assert.deepEqual([ok.outcome, ok.details?.method, ok.details?.location, ok.details?.protocol, ok.clientIp], ['success', 'password', 'familiar', 'wsfed', '192.0.2.10']);
    const a = await activity(gh, alice.upn);
    assert.equal(a.unfamiliar.failures, 4, 'the refused attempt counts too; the familiar success resets only the familiar count');
    assert.ok(a.unfamiliar.lastFailure instanceof Date);
    assert.deepEqual(a.addresses.map((x) => x.address), ['192.0.2.10']);
  });

  it('locks the familiar location at familiarThreshold, and a wrong password never makes an address familiar', async () => {
    assert.match((await signIn(gh, '192.0.2.20', bob.upn, bob.password)).body, TOKEN);
    for (let i = 0; i < 2; i++) await signIn(gh, '192.0.2.20', bob.upn, `guess-${i}`);
    assert.doesNotMatch((await signIn(gh, '192.0.2.20', bob.upn, bob.password)).body, TOKEN);
    assert.deepEqual([(await lastSignIn(gh)).reason, (await lastSignIn(gh)).details?.location], ['extranet-lockout', 'familiar']);
    // An unfamiliar address still has its budget: the real user on the road signs in, and it becomes familiar.
    for (let i = 0; i < 2; i++) await signIn(gh, '198.51.100.40', bob.upn, `wrong-${i}`);
    assert.deepEqual((await activity(gh, bob.upn)).addresses.map((x) => x.address), ['192.0.2.20'], 'failures do not make 198.51.100.40 familiar');
    assert.match((await signIn(gh, '198.51.100.40', bob.upn, bob.password)).body, TOKEN);
    assert.deepEqual((await activity(gh, bob.upn)).addresses.map((x) => x.address), ['198.51.100.40', '192.0.2.20']);
  });

  it('keeps the newest familiarAddresses, an IPv6 address by its /64, and forgets the oldest', async () => {
    for (const ip of ['192.0.2.31', '192.0.2.32', '2001:db8:1:2::a', '2001:db8:1:2:ffff::b']) assert.match((await signIn(gh, ip, carl.upn, carl.password)).body, TOKEN, ip);
    assert.deepEqual((await activity(gh, carl.upn)).addresses.map((x) => x.address), ['2001:db8:1:2::/64', '192.0.2.32', '192.0.2.31']);
    assert.match((await signIn(gh, '192.0.2.33', carl.upn, carl.password)).body, TOKEN);
    assert.deepEqual((await activity(gh, carl.upn)).addresses.map((x) => x.address), ['192.0.2.33', '2001:db8:1:2::/64', '192.0.2.32']);
    await signIn(gh, '192.0.2.31', carl.upn, 'wrong');
    assert.equal((await lastSignIn(gh)).details?.location, 'unfamiliar', 'the forgotten address is unfamiliar again');
  });
});

describe('extranet smart lockout, logOnly mode', () => {
  let gh: RunningTestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ directory: { users }, extra: { ...behindProxy, lockout: { mode: 'logOnly', extranetThreshold: 3, familiarThreshold: 1, observationWindowMinutes: 30 } } });
  });
  after(() => gh.stop());

  it('audits what enforce would refuse without refusing it, learns familiar addresses, and enforces one count of any location', async () => {
    assert.match((await signIn(gh, '192.0.2.50', dora.upn, dora.password)).body, TOKEN);
    assert.deepEqual((await activity(gh, dora.upn)).addresses.map((x) => x.address), ['192.0.2.50']);
    await signIn(gh, '192.0.2.50', dora.upn, 'wrong-1');
    await signIn(gh, '192.0.2.50', dora.upn, 'wrong-2');
    const second = await lastSignIn(gh);
    assert.deepEqual([second.reason, second.details?.location, second.details?.smartLockout], ['bad-password', 'familiar', 'would-refuse'], 'asked AD, but logged');
    await signIn(gh, '203.0.113.77', dora.upn, 'wrong-3');
    assert.doesNotMatch((await signIn(gh, '192.0.2.50', dora.upn, dora.password)).body, TOKEN, 'the fourth attempt of any location is refused');
    assert.equal((await lastSignIn(gh)).reason, 'extranet-lockout');
    const a = await activity(gh, dora.upn);
    assert.deepEqual([a.familiar.failures, a.unfamiliar.failures, a.anyLocation], [3, 1, 4]);
  });
});

describe('banned addresses and failed-password throttling per address', () => {
  let gh: RunningTestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({
      directory: { users },
      extra: { ...behindProxy, lockout: { extranetThreshold: 0 }, rateLimit: { bannedAddresses: ['198.51.100.0/24', '2001:db8:bad::7'], failedPerAddress: 3, failedWindowMinutes: 5 } },
    });
  });
  after(() => gh.stop());

  const soap = (ip: string, username: string, password: string) =>
    httpsRequest(`${gh.url}${USERNAME_13.path}`, {
      method: 'POST',
      ca: gh.tlsCertPem,
      headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', 'X-Forwarded-For': ip },
      body: rst('msal-python-13', { username, password, to: `${gh.url}${USERNAME_13.path}` }),
      timeoutMs: 20_000,
    });

  it('refuses a banned address the sign-in page, the password post and WS-Trust, before any check, audited once', async () => {
    for (const ip of ['198.51.100.1', '198.51.100.254']) {
      const page = await new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': ip }).get(`${gh.url}${ENTRA_SIGNIN}`);
      assert.equal(page.status, 403, ip);
      assert.match(await page.text(), /Sign-in from your network is not allowed/);
    }
    // The form fetched from an allowed address, posted from a banned one.
    const headers = { 'X-Forwarded-For': '192.0.2.99' };
    const client = new WebClient([gh.tlsCertPem], headers);
    const { action, fields } = readForm(await (await client.get(`${gh.url}${ENTRA_SIGNIN}`)).text());
    headers['X-Forwarded-For'] = '198.51.100.1';
    const posted = await client.post(new URL(action, gh.url).href, { ...fields, UserName: alice.upn, Password: alice.password });
    assert.equal(posted.status, 403);
    assert.doesNotMatch(await posted.text(), TOKEN);
    const ws = await soap('2001:db8:bad::7', alice.upn, alice.password);
    assert.equal(ws.status, 500);
    assert.doesNotMatch(ws.text, /RequestedSecurityToken/);
    assert.ok(fault(ws.text).reason);
    assert.match((await signIn(gh, '2001:db8:bad::8', alice.upn, alice.password)).body, TOKEN, 'a bare address bans only itself');
    const banned = (await events(gh, 'request.rejected')).filter((e) => e.reason === 'address-banned');
    assert.deepEqual(banned.map((e) => e.clientIp).sort(), ['198.51.100.1', '198.51.100.254', '2001:db8:bad::7']);
    assert.equal((await events(gh, 'signin')).filter((e) => e.clientIp?.startsWith('198.51.100.')).length, 0, 'never reached the password check');
  });

  it('throttles an address after failedPerAddress failures, even for the right password, and not its neighbours', async () => {
    for (const name of ['nobody@corp.example.com', 'bob', 'CORP\\carl']) assert.equal((await signIn(gh, '203.0.113.90', name, 'wrong')).status, 200);
    const throttled = await signIn(gh, '203.0.113.90', alice.upn, alice.password);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.retryAfter, '300');
    assert.match(throttled.body, /too many failed sign-ins from your network/);
    const ws = await soap('203.0.113.90', alice.upn, alice.password);
    assert.equal(ws.status, 429);
    assert.equal(fault(ws.text).subcode, 'a:RequestFailed');
    assert.match((await signIn(gh, '203.0.113.91', alice.upn, alice.password)).body, TOKEN);
    const rejected = (await events(gh, 'request.rejected')).filter((e) => e.reason === 'address-throttled');
    assert.deepEqual(rejected.map((e) => [e.clientIp, e.details?.windowMinutes]), [['203.0.113.90', 5]]);
  });
});
