import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LdapDirectory } from '../../directory/ldap-directory.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { createTestUser, directoryFor, memoryLogger, sambaObjectGuidBase64 } from './helpers.js';

let bed: TestBed;
let directory: LdapDirectory;

before(async () => {
  bed = await getTestBed();
  directory = directoryFor(bed);
});
after(async () => { await directory?.close(); });

function user(key: string) {
  const found = bed.users[key];
  assert.ok(found, `fixture user ${key}`);
  return found;
}

describe('authenticate against Samba AD', () => {
  it('signs in alice with her UPN and returns her identity', async () => {
    const alice = user('alice');
    const result = await directory.authenticate(alice.upn, alice.password);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.user.upn, alice.upn);
    assert.equal(result.user.samAccountName, 'alice');
    assert.equal(result.user.givenName, 'Alice');
    assert.equal(result.user.surname, 'Anders');
    assert.equal(result.user.mail, alice.mail);
    assert.equal(result.user.dn, alice.dn);
    assert.ok(result.user.passwordLastSet instanceof Date);
  });

  it('accepts DOMAIN\\sam and bare sam', async () => {
    const alice = user('alice');
    for (const name of [`${bed.netbios}\\alice`, `${bed.netbios.toLowerCase()}\\alice`, 'alice']) {
      const result = await directory.authenticate(name, alice.password);
      assert.ok(result.ok, `${name}: ${JSON.stringify(result)}`);
      assert.equal(result.user.upn, alice.upn);
    }
  });

  it('refuses DOMAIN\\sam with another domain', async () => {
    const result = await directory.authenticate('OTHER\\alice', user('alice').password);
    assert.deepEqual(result, { ok: false, reason: 'no-such-user' });
  });

  it('signs in a user whose UPN is in the extra suffix fabrikam.example.com', async () => {
    const bob = user('bob');
    assert.match(bob.upn, /@fabrikam\.example\.com$/);
    const result = await directory.authenticate(bob.upn, bob.password);
    assert.ok(result.ok, JSON.stringify(result));
  });

  it('signs in a user with non-ASCII names and returns them intact', async () => {
    const jose = user('jose');
    const result = await directory.authenticate(jose.upn, jose.password);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.user.displayName, 'José Müller');
    assert.equal(result.user.givenName, 'José');
    assert.equal(result.user.surname, 'Müller');
  });

  it('answers bad-password (52e) for a wrong password', async () => {
    const result = await directory.authenticate(user('badpw').upn, 'not-the-password');
    assert.deepEqual(result, { ok: false, reason: 'bad-password', upn: user('badpw').upn });
  });

  it('answers no-such-user for an unknown account', async () => {
    assert.deepEqual(await directory.authenticate('nobody@corp.example.com', 'Passw0rd!'), { ok: false, reason: 'no-such-user' });
  });

  for (const key of ['disabled', 'expired', 'pwexpired', 'mustchange', 'locked', 'hours', 'workstation']) {
    it(`maps the DC's sub-code for fixture user "${key}" to its typed reason`, async () => {
      const fixture = user(key);
      const result = await directory.authenticate(fixture.upn, fixture.password);
      assert.deepEqual(result, { ok: false, reason: fixture.expected, upn: fixture.upn });
    });
  }

  it('locks out a user after the PSO threshold of bad passwords (775)', async () => {
    const lockme = user('lockme');
    let last;
    for (let i = 0; i < 5; i++) last = await directory.authenticate(lockme.upn, `wrong-${i}`);
    assert.deepEqual(last, { ok: false, reason: 'locked-out', upn: lockme.upn });
    assert.deepEqual(await directory.authenticate(lockme.upn, lockme.password), { ok: false, reason: 'locked-out', upn: lockme.upn });
  });
});

describe('bad input never authenticates or matches', () => {
  const injections = ['*', '*)(', '*)(objectClass=*', ')(', '\\00', 'admin*', '*@corp.example.com', 'a*ice', 'alice)(|(sAMAccountName=*', '(&)', 'CORP\\*'];

  for (const name of injections) {
    it(`treats ${JSON.stringify(name)} as a literal name that matches no one`, async () => {
      const result = await directory.authenticate(name, 'Passw0rd!');
      assert.equal(result.ok, false);
      assert.ok(result.ok === false && (result.reason === 'no-such-user' || result.reason === 'invalid-input'), JSON.stringify(result));
      assert.equal(await directory.findUser({ upn: name }), null);
      assert.equal(await directory.findUser({ sam: name }), null);
      assert.equal(await directory.findUser({ altSecurityIdentities: [name, `X509:<SKI>${name}`] }), null);
    });
  }

  it('refuses NUL in a name as invalid input', async () => {
    assert.deepEqual(await directory.authenticate('alice\u0000', 'Passw0rd!'), { ok: false, reason: 'invalid-input' });
  });

  it('refuses an empty password before any bind (an empty simple bind is anonymous)', async () => {
    const { lines, logger } = memoryLogger();
    const watched = directoryFor(bed, { logger, dcs: ['ldaps://127.0.0.1:9'] });
    try {
      // The only DC is unreachable: reaching it at all would log and answer directory-unavailable.
      assert.deepEqual(await watched.authenticate(user('alice').upn, ''), { ok: false, reason: 'invalid-input' });
      assert.equal(lines.length, 0);
      assert.equal(watched.dcStatus()[0]?.failovers, 0);
    } finally {
      await watched.close();
    }
  });
});

describe('findUser and identity', () => {
  it('gives immutableId = base64 of the objectGUID bytes Samba reports', async () => {
    const samba = await sambaObjectGuidBase64(bed, 'alice');
    const found = await directory.findUser({ upn: user('alice').upn });
    assert.ok(found);
    assert.equal(found.objectGuid, samba.guid.toLowerCase());
    assert.equal(found.immutableId, samba.base64);
  });

  it('gives immutableId from ms-DS-ConsistencyGuid when it is set', async () => {
    const carol = user('carol');
    assert.ok(carol.consistencyGuidHex);
    const found = await directory.findUser({ sam: 'carol' });
    assert.ok(found);
    assert.equal(found.immutableId, Buffer.from(carol.consistencyGuidHex, 'hex').toString('base64'));
    const samba = await sambaObjectGuidBase64(bed, 'carol');
    assert.notEqual(found.immutableId, samba.base64);
    assert.equal(found.objectGuid, samba.guid.toLowerCase());
  });

  it('finds a user by objectGUID in any case and with braces', async () => {
    const samba = await sambaObjectGuidBase64(bed, 'jose');
    const found = await directory.findUser({ objectGuid: `{${samba.guid.toUpperCase()}}` });
    assert.equal(found?.samAccountName, 'jose');
  });

  it('finds a user by one of the altSecurityIdentities values given, in any case, and no one by another value', async () => {
    // Unique per run: the test bed outlives a run, and two users with one value would be ambiguous.
    const value = `X509:<I>DC=com,DC=example,CN=Test CA<S>DC=com,DC=example,CN=Users,CN=Mapped (${randomBytes(4).toString('hex')})`;
    const mapped = await createTestUser(bed, 'alt', { altSecurityIdentities: value });
    const found = await directory.findUser({ altSecurityIdentities: ['X509:<SKI>00ff', value.toUpperCase()] });
    assert.equal(found?.samAccountName, mapped.sam);
    assert.equal(await directory.findUser({ altSecurityIdentities: [`${value}x`, 'X509:<SKI>*'] }), null);
    assert.equal(await directory.findUser({ altSecurityIdentities: ['not-x509', ''] }), null);
  });

  it('lists nested groups: alice is in GH Staff and, through it, in GH All', async () => {
    const found = await directory.findUser({ upn: user('alice').upn });
    assert.ok(found);
    const names = found.groups.map((g) => g.name);
    assert.ok(names.includes('GH Staff'), names.join(', '));
    assert.ok(names.includes('GH All'), names.join(', '));
    assert.ok(names.includes('Domain Users'), 'primary group from tokenGroups');
    assert.ok(found.groups.every((g) => g.sid?.startsWith('S-1-')));
    const bob = await directory.findUser({ upn: user('bob').upn });
    assert.ok(bob && !bob.groups.some((g) => g.name === 'GH All'));
  });

  it('reports every DC healthy', async () => {
    const health = await directory.checkHealth();
    assert.deepEqual(health.map((h) => [h.dc, h.ok]), [[bed.ldapsUrl, true]]);
  });
});
