import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createDirectory, hashPassword, verifyPassword } from '../../directory/index.js';
import type { Directory } from '../../directory/types.js';

let dir: string;
let directory: Directory;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-filedir-'));
  const path = join(dir, 'users.yaml');
  await writeFile(path, stringify({
    users: [
      { upn: 'alice@corp.example.com', sam: 'alice', password: await hashPassword('Passw0rd!'), displayName: 'Alice Anders', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00', groups: ['Staff'] },
      { upn: 'dan@corp.example.com', sam: 'dan', password: await hashPassword('Passw0rd!'), objectGuid: '00000000-0000-0000-0000-000000000001', disabled: true },
    ],
  }));
  directory = await createDirectory({ kind: 'file', path });
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

describe('file directory', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format with a fresh salt each time', async () => {
    const a = await hashPassword('x');
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.notEqual(a, await hashPassword('x'));
    assert.equal(await verifyPassword('x', a), true);
    assert.equal(await verifyPassword('y', a), false);
  });

  it('signs in by UPN, DOMAIN\\sam and sam with the ENTRA.md §7.1 immutableId', async () => {
    for (const name of ['alice@corp.example.com', 'CORP\\alice', 'ALICE']) {
      const result = await directory.authenticate(name, 'Passw0rd!');
      assert.ok(result.ok, name);
      assert.equal(result.user.immutableId, 'RDMiEWZViHeZqrvM3e7/AA==');
      assert.deepEqual(result.user.groups.map((g) => g.name), ['Staff']);
    }
  });

  it('answers bad-password, account-disabled, no-such-user and invalid-input', async () => {
    assert.deepEqual(await directory.authenticate('alice', 'nope'), { ok: false, reason: 'bad-password', upn: 'alice@corp.example.com' });
    assert.deepEqual(await directory.authenticate('dan', 'Passw0rd!'), { ok: false, reason: 'account-disabled', upn: 'dan@corp.example.com' });
    assert.deepEqual(await directory.authenticate('*', 'Passw0rd!'), { ok: false, reason: 'no-such-user' });
    assert.deepEqual(await directory.authenticate('alice', ''), { ok: false, reason: 'invalid-input' });
  });

  it('finds users by objectGUID and UPN', async () => {
    assert.equal((await directory.findUser({ objectGuid: '{11223344-5566-7788-99AA-BBCCDDEEFF00}' }))?.samAccountName, 'alice');
    assert.equal(await directory.findUser({ upn: 'admin*' }), null);
  });
});
