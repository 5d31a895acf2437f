import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDirectory } from './helpers.js';
import type { Directory } from '../../directory/types.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';

describe('accountState of users found in AD (Samba)', () => {
  let bed: TestBed;
  let dir: Directory;
  before(async () => {
    bed = await getTestBed();
    dir = await createDirectory({ kind: 'ldap', dcs: [bed.ldapsUrl], caCertPem: bed.caCertPem, baseDn: bed.baseDn, serviceAccount: { dn: bed.service.dn, password: bed.service.password } });
  });
  after(() => dir.close());

  for (const [key, state] of [['alice', 'enabled'], ['disabled', 'disabled'], ['expired', 'expired'], ['locked', 'locked-out'], ['pwexpired', 'enabled']] as const) {
    it(`reads ${key} as ${state}`, async () => {
      const user = await dir.findUser({ upn: bed.users[key]!.upn });
      assert.equal(user?.accountState, state);
    });
  }
});
