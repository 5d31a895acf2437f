import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'ldapts';
import { createUser, type FixtureUser } from '../ad/fixtures.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { ENTRA_SIGNIN, readForm, WebClient } from '../support/web-client.js';

/*
 * Extranet smart lockout under parallel sign-ins of one account, against Samba: AD FS counts bad
 * passwords, not attempts, so the real user's simultaneous right passwords (several devices or a
 * client's connections) are not refused because the others were still in flight; and a burst of
 * wrong ones still brings at most the threshold's worth to AD (badPwdCount read over LDAP).
 */

const TOKEN = /name="wresult"/;
const HOME = '192.0.2.200';
const BURST = 16;

describe('extranet smart lockout with sign-ins of one account in flight together', () => {
  let bed: TestBed;
  let admin: Client;
  let gh: RunningTestGatehouse;
  let user: FixtureUser;

  before(async () => {
    bed = await getTestBed();
    admin = new Client({ url: bed.ldapsUrl, tlsOptions: { ca: bed.caCertPem }, timeout: 10_000 });
    await admin.bind(bed.admin.dn, bed.admin.password);
    const psoDn = `CN=GH Lockout,CN=Password Settings Container,CN=System,${bed.baseDn}`;
    const sam = `par${randomBytes(3).toString('hex')}`;
    user = await createUser({ client: admin, baseDn: bed.baseDn, realm: bed.realm }, { key: sam, sam, expected: 'ok' }, psoDn, bed.ldapsUrl, bed.caCertPem);
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      extra: { server: { trustedProxies: ['127.0.0.1'] }, lockout: { extranetThreshold: 1, familiarThreshold: 1, observationWindowMinutes: 60 } },
    });
  });
  after(async () => {
    await gh?.stop();
    await admin?.unbind();
  });

  /** Fetches every login form first, then posts them all at once. */
  const burst = async (ip: string, passwords: string[]) => {
    const ready = await Promise.all(
      passwords.map(async () => {
        const client = new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': ip });
        const { action, fields } = readForm(await (await client.get(new URL(ENTRA_SIGNIN, gh.url).href)).text());
        return { client, url: new URL(action, gh.url).href, fields };
      }),
    );
    const answers = await Promise.all(ready.map((f, i) => f.client.post(f.url, { ...f.fields, UserName: user.upn, Password: passwords[i]! })));
    return Promise.all(answers.map((a) => a.text()));
  };
  const adState = async () => {
    const { searchEntries } = await admin.search(user.dn, { scope: 'base', attributes: ['badPwdCount', 'lockoutTime'] });
    // An attribute the entry lacks comes back as an empty list: never set, so 0.
    const value = (name: string) => {
      const v = searchEntries[0]![name];
      return String((Array.isArray(v) ? v[0] : v) ?? '0');
    };
    return { badPwdCount: Number(value('badPwdCount')), lockoutTime: value('lockoutTime') };
  };

  it('signs in every one of a burst of right passwords from a familiar address', async () => {
    assert.match((await burst(HOME, [user.password]))[0]!, TOKEN, 'the first sign-in makes the address familiar');
    const pages = await burst(HOME, Array.from({ length: BURST }, () => user.password));
    assert.equal(pages.filter((p) => TOKEN.test(p)).length, BURST);
  });

  it('still lets no more wrong passwords than the threshold reach AD when they come together', async () => {
    await burst(HOME, Array.from({ length: BURST }, (_, i) => (i % 2 ? user.password : `Wrong${i}!`)));
    const ad = await adState();
    assert.ok(ad.badPwdCount <= 1, `AD saw ${ad.badPwdCount} bad passwords, at most familiarThreshold`);
    assert.equal(ad.lockoutTime, '0', 'AD did not lock the account');
  });
});
