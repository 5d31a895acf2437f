import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSambaInstalled, missingSambaParts, sambaPaths, type SambaPaths } from './preflight.js';

describe('Samba test bed pre-flight check', () => {
  let dir: string;
  let fake: SambaPaths;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-preflight-'));
    fake = { setupDir: join(dir, 'setup'), modulesDir: join(dir, 'modules') };
    await mkdir(join(fake.setupDir, 'ad-schema'), { recursive: true });
    await mkdir(join(fake.modulesDir, 'ldb'), { recursive: true });
    await writeFile(join(fake.setupDir, 'ad-schema', 'AD_DS_Attributes__Windows_Server_2012_R2.ldf'), '');
    await writeFile(join(fake.modulesDir, 'ldb', 'samba_secrets.so'), '');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('finds nothing missing on this machine, whose install step ran', async () => {
    assert.deepEqual(await missingSambaParts(), []);
    const paths = await sambaPaths();
    assert.match(paths.setupDir, /samba/);
  });

  it('names the package of a missing module in one line', async () => {
    assert.deepEqual(await missingSambaParts({ paths: fake }), [{ pkg: 'samba-vfs-modules', what: 'vfs module acl_xattr' }]);
    await assert.rejects(assertSambaInstalled({ paths: fake }), (err: Error) => {
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, /missing Debian package samba-vfs-modules \(vfs module acl_xattr\)/);
      assert.match(err.message, /apt-get install --no-install-recommends samba-vfs-modules/);
      return true;
    });
  });

  it('names samba-ad-provision and samba-dsdb-modules when their files are gone', async () => {
    const empty = { setupDir: join(dir, 'none'), modulesDir: join(dir, 'none') };
    const pkgs = (await missingSambaParts({ paths: empty })).map((m) => m.pkg);
    assert.deepEqual(pkgs, ['samba-ad-provision', 'samba-dsdb-modules', 'samba-vfs-modules']);
  });

  it('names samba itself when its commands are not on PATH, without asking it for paths', async () => {
    const missing = await missingSambaParts({ pathEnv: join(dir, 'no-bin') });
    assert.deepEqual(missing.map((m) => m.pkg), ['samba', 'samba-common-bin', 'ldb-tools', 'iproute2']);
  });
});
