import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sqliteStore } from '../../store/sqlite/index.js';
import { gatehouse } from '../support/cli.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';

const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };
const TOKEN = /name="wresult"/;

type Shown = {
  user: string;
  familiar: { failures: number; lastFailure?: string };
  unfamiliar: { failures: number; lastFailure?: string };
  addresses: { address: string; lastSeen: string }[];
};

describe('gatehouse lockout show|reset|add-address|forget-addresses (AD FS *-AdfsAccountActivity)', () => {
  let gh: RunningTestGatehouse;
  let config: string;
  const lockout = (...args: string[]) => gatehouse(['lockout', ...args, '-c', config]);
  const show = async (user: string): Promise<Shown> => {
    const res = await lockout('show', user, '--json');
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as Shown;
  };
  const signIn = async (ip: string, password: string) => (await postLogin(new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': ip }), gh.url, alice.upn, password)).text();

  before(async () => {
    gh = await startTestGatehouse({ directory: { users: [alice] }, extra: { server: { trustedProxies: ['127.0.0.1'] }, lockout: { extranetThreshold: 2, observationWindowMinutes: 30 } } });
    config = join(gh.dir, 'gatehouse.yaml');
    assert.match(await signIn('192.0.2.7', alice.password), TOKEN);
    await signIn('203.0.113.9', 'wrong-1');
    await signIn('203.0.113.9', 'wrong-2');
  });
  after(() => gh.stop());

  it('shows the counts per location, the last failure and the familiar addresses, for any spelling of the name', async () => {
    for (const name of [alice.upn, 'alice', 'CORP\\alice']) {
      const a = await show(name);
      assert.equal(a.user, alice.upn);
      assert.deepEqual([a.familiar.failures, a.unfamiliar.failures], [0, 2]);
      assert.ok(a.unfamiliar.lastFailure && Date.now() - Date.parse(a.unfamiliar.lastFailure) < 120_000);
      assert.equal(a.familiar.lastFailure, undefined);
      assert.deepEqual(a.addresses.map((x) => x.address), ['192.0.2.7']);
    }
    const text = await lockout('show', 'alice');
    assert.match(text.stdout, /unfamiliar failures 2, last \d{4}-/);
    assert.match(text.stdout, /familiar addresses {2}1\n {2}192\.0\.2\.7 +last sign-in /);
  });

  it('resets one location, so the locked-out user can sign in from there again, and audits it', async () => {
    assert.doesNotMatch(await signIn('203.0.113.10', alice.password), TOKEN, 'unfamiliar locations are locked');
    const res = await lockout('reset', 'CORP\\alice', '--location', 'unfamiliar');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `reset the unfamiliar failure count of ${alice.upn}\n`);
    assert.equal((await show('alice')).unfamiliar.failures, 0);
    assert.match(await signIn('203.0.113.10', alice.password), TOKEN);
    await gh.runtime.audit.flush();
    const store = sqliteStore(gh.config.store.sqlitePath);
    try {
      const [event] = await store.audit.recent(1, { type: 'lockout.reset' });
      assert.deepEqual([event?.user, event?.details], [alice.upn, { location: 'unfamiliar', by: 'cli' }]);
    } finally {
      await store.close();
    }
  });

  it('adds a familiar address (IPv6 by its /64) and forgets them all', async () => {
    const added = await lockout('add-address', 'alice', '2001:db8:5:5::9');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, `2001:db8:5:5::/64 is a familiar address of ${alice.upn}\n`);
    assert.ok((await show('alice')).addresses.some((x) => x.address === '2001:db8:5:5::/64'));
    const forgot = await lockout('forget-addresses', 'alice');
    assert.equal(forgot.code, 0, forgot.stderr);
    assert.deepEqual((await show('alice')).addresses, []);
  });

  it('refuses an unknown user, an address that is not one and a location that is not one', async () => {
    const nobody = await lockout('show', 'nobody@corp.example.com');
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no account "nobody@corp\.example\.com" in the directory/);
    const bad = await lockout('add-address', 'alice', '10.0.0.0/8');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not an IP address/);
    assert.notEqual((await lockout('reset', 'alice', '--location', 'everywhere')).code, 0);
  });
});
