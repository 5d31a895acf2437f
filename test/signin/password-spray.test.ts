import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'ldapts';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { AuditEvent } from '../../store/types.js';
import { USERNAME_13 } from '../../sts/protocols/wstrust/versions.js';
import { createUser, type FixtureUser } from '../ad/fixtures.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { httpsRequest } from '../entra/https-client.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';
import { rst } from '../wstrust/rst.js';

/*
 * The acceptance of extranet smart lockout (issue [E] 3): 1,000 wrong passwords sprayed from
 * unfamiliar addresses over 20 accounts that AD locks after 3 bad passwords (the test bed's lockout
 * PSO), the names typed as UPN, DOMAIN\sam and sam, through the login form and WS-Trust. Samba is
 * then asked over LDAP: no account is locked. Every spraying address was throttled, and every real
 * user still signs in from the address it signed in from before the spray.
 */

const ACCOUNTS = 20;
const ATTEMPTS = 1000;
const SPRAYERS = ['203.0.113.10', '203.0.113.11', '203.0.113.12', '2001:db8:66:1::1', '2001:db8:66:2::1'];
const PARALLEL = 16;
const UF_LOCKOUT = 0x10;
const TOKEN = /name="wresult"/;
const lockout = { extranetThreshold: 1, familiarThreshold: 1, observationWindowMinutes: 60 };
const failedPerAddress = 40;

const home = (i: number) => `192.0.2.${i + 1}`;

/** Runs `jobs` with at most `n` at a time. */
async function inParallel<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  }));
  return results;
}

describe('a password spray against Samba under extranet smart lockout', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  let admin: Client;
  let adThreshold: number;
  const users: FixtureUser[] = [];

  const browser = (ip: string) => new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': ip });
  const formSignIn = async (ip: string, name: string, password: string) => {
    const res = await postLogin(browser(ip), gh.url, name, password);
    return { status: res.status, body: await res.text() };
  };
  const wsTrust = async (ip: string, name: string, password: string) => {
    const body = rst('msal-python-13', { username: name, password, to: `${gh.url}${USERNAME_13.path}` });
    const res = await httpsRequest(`${gh.url}${USERNAME_13.path}`, { method: 'POST', ca: gh.tlsCertPem, headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', 'X-Forwarded-For': ip }, body, timeoutMs: 20_000 });
    return { status: res.status, body: res.text };
  };
  const audit = async (type: string): Promise<AuditEvent[]> => {
    await gh.runtime.audit.flush();
    const store = sqliteStore(gh.config.store.sqlitePath);
    try {
      return await store.audit.recent(100_000, { type });
    } finally {
      await store.close();
    }
  };
  const adState = async (u: FixtureUser) => {
    const { searchEntries } = await admin.search(u.dn, { scope: 'base', attributes: ['badPwdCount', 'lockoutTime', 'msDS-User-Account-Control-Computed'] });
    const e = searchEntries[0]!;
    // An attribute the entry lacks comes back as an empty list: never set, so 0.
    const value = (name: string) => {
      const v = e[name];
      return String((Array.isArray(v) ? v[0] : v) ?? '0');
    };
    return { badPwdCount: Number(value('badPwdCount')), lockoutTime: value('lockoutTime'), computed: Number(value('msDS-User-Account-Control-Computed')) };
  };

  before(async () => {
    bed = await getTestBed();
    admin = new Client({ url: bed.ldapsUrl, tlsOptions: { ca: bed.caCertPem }, timeout: 10_000 });
    await admin.bind(bed.admin.dn, bed.admin.password);
    const psoDn = `CN=GH Lockout,CN=Password Settings Container,CN=System,${bed.baseDn}`;
    const { searchEntries } = await admin.search(psoDn, { scope: 'base', attributes: ['msDS-LockoutThreshold'] });
    adThreshold = Number(searchEntries[0]!['msDS-LockoutThreshold']);
    const run = randomBytes(2).toString('hex');
    const ctx = { client: admin, baseDn: bed.baseDn, realm: bed.realm };
    const sams = Array.from({ length: ACCOUNTS }, (_, i) => `spr${run}${String(i).padStart(2, '0')}`);
    users.push(...(await inParallel(4, sams.map((sam) => () => createUser(ctx, { key: sam, sam, expected: 'ok' }, psoDn, bed.ldapsUrl, bed.caCertPem)))));
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      extra: { server: { trustedProxies: ['127.0.0.1'] }, lockout, rateLimit: { failedPerAddress, failedWindowMinutes: 15 } },
    });
  });
  after(async () => {
    await gh?.stop();
    await admin?.unbind();
  });

  it('leaves every AD account unlocked, throttles every spraying address, and lets each user in from a familiar address', async () => {
    // AD counts failures of both locations: their thresholds together stay below AD's (config/schema.ts lockout).
    assert.ok(lockout.extranetThreshold + lockout.familiarThreshold < adThreshold, `AD locks after ${adThreshold}`);

    // Before the spray each user signs in once from home: that address is familiar from now on.
    for (const [i, u] of users.entries()) assert.match((await formSignIn(home(i), u.upn, u.password)).body, TOKEN, u.upn);

    const spellings = (u: FixtureUser) => [u.upn, `${bed.netbios}\\${u.sam}`, u.sam, u.upn.toUpperCase()];
    const spray = Array.from({ length: ATTEMPTS }, (_, i) => {
      const u = users[i % ACCOUNTS]!;
      const name = spellings(u)[Math.floor(i / ACCOUNTS) % 4]!;
      const ip = SPRAYERS[i % SPRAYERS.length]!;
      const password = `Spring${2000 + i}!`;
      return async () => ({ ip, ...(i % 4 === 3 ? await wsTrust(ip, name, password) : await formSignIn(ip, name, password)) });
    });
    const answers = await inParallel(PARALLEL, spray);

    assert.equal(answers.filter((a) => TOKEN.test(a.body) || /RequestedSecurityToken/.test(a.body)).length, 0, 'no sprayed password is right');
    assert.ok(answers.every((a) => [200, 429, 500].includes(a.status)), `answers: ${[...new Set(answers.map((a) => a.status))].join(', ')}`);

    // Samba, read over LDAP: no account reached AD's threshold.
    for (const u of users) {
      const state = await adState(u);
      assert.equal(state.lockoutTime, '0', `${u.upn} lockoutTime`);
      assert.equal(state.computed & UF_LOCKOUT, 0, `${u.upn} is not locked`);
      assert.ok(state.badPwdCount <= lockout.extranetThreshold, `${u.upn} badPwdCount ${state.badPwdCount}`);
    }

    // Every spraying address got 429s once it had failed failedPerAddress times, audited once per window.
    const rejected = await audit('request.rejected');
    for (const ip of SPRAYERS) {
      const mine = answers.filter((a) => a.ip === ip);
      assert.ok(mine.filter((a) => a.status === 429).length >= mine.length - failedPerAddress, `${ip} throttled`);
      assert.equal(rejected.filter((e) => e.reason === 'address-throttled' && e.clientIp === ip).length, 1, `${ip} audited once`);
    }
    const failures = (await audit('signin')).filter((e) => e.outcome === 'failure');
    const sprayed = failures.filter((e) => SPRAYERS.includes(e.clientIp ?? ''));
    assert.equal(sprayed.length, SPRAYERS.length * failedPerAddress, 'only what each address may fail reached the password check');
    assert.ok(sprayed.every((e) => e.details?.location === 'unfamiliar' && ['bad-password', 'extranet-lockout'].includes(e.reason ?? '')));
    assert.equal(sprayed.filter((e) => e.reason === 'bad-password').length, ACCOUNTS * lockout.extranetThreshold, 'one bind per account, the rest refused before AD');
    assert.ok(sprayed.every((e) => users.some((u) => u.upn === e.user)), 'every spelling was counted against its account');

    // The right password from an address the user never used is refused too (the unfamiliar budget is spent) …
    const stranger = await formSignIn('198.51.100.99', users[0]!.upn, users[0]!.password);
    assert.doesNotMatch(stranger.body, TOKEN);
    // … while each real user signs in from home, in whatever spelling, by form or WS-Trust.
    for (const [i, u] of users.entries()) {
      const name = spellings(u)[i % 4]!;
      if (i % 2 === 0) assert.match((await formSignIn(home(i), name, u.password)).body, TOKEN, name);
      else assert.match((await wsTrust(home(i), name, u.password)).body, /RequestedSecurityToken/, name);
    }
    const successes = (await audit('signin')).filter((e) => e.outcome === 'success' && e.details?.location === 'familiar');
    assert.equal(successes.length, ACCOUNTS, 'each sign-in after the spray came from a familiar location');
    for (const u of users) assert.equal((await adState(u)).badPwdCount, 0, `${u.upn}: the success reset AD's count`);
  });
});
