import assert from 'node:assert/strict';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { fixtureSpecs } from '../ad/fixtures.js';
import { getTestBed, provisionTestBed, stopTestBed, type TestBed } from '../ad/testbed.js';
import { gatehouse } from '../support/cli.js';
import { testBedDirectory } from '../support/gatehouse.js';

let bed: TestBed;
let dir: string;

async function writeConfig(name: string, directory: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    stringify({
      directory,
      federation: { domains: [{ name: 'corp.example.com' }] },
      keys: { keyEncryptionKey: Buffer.alloc(32, 5).toString('base64') },
      store: { sqlitePath: `${name}.db` },
    }),
  );
  return file;
}

describe('gatehouse doctor and keys against the Samba test bed', () => {
  before(async () => {
    bed = await getTestBed();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-doctor-'));
  });

  it('reports a missing signing key, then passes once `keys generate` made one', async () => {
    const config = await writeConfig('ok.yaml', testBedDirectory(bed, bed.caCertPath));
    const first = await gatehouse(['doctor', '--offline', '-c', config, '--json']);
    assert.equal(first.code, 1);
    const report = JSON.parse(first.stdout) as { ok: boolean; checks: { part: string; ok: boolean; detail: string }[] };
    assert.equal(report.checks.find((c) => c.part === `directory ${bed.ldapsUrl}`)?.ok, true, first.stdout);
    assert.equal(report.checks.find((c) => c.part === 'signing certificate')?.ok, false);

    assert.equal((await gatehouse(['keys', 'generate', '-c', config])).code, 0);
    const second = await gatehouse(['doctor', '--offline', '-c', config]);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /ok +signing certificate: [0-9A-F]{40} CN=ADFS Signing - localhost, 36[45] days left/);

    const keys = JSON.parse((await gatehouse(['keys', 'list', '-c', config, '--json'])).stdout) as { state: string; role: string; daysLeft: number }[];
    assert.deepEqual(keys.map((k) => [k.role, k.state]), [['signing', 'active']]);
    assert.equal((await gatehouse(['keys', 'generate', '-c', config])).code, 0);
    const after2 = JSON.parse((await gatehouse(['keys', 'list', '-c', config, '--json'])).stdout) as { state: string }[];
    assert.deepEqual(after2.map((k) => k.state), ['active', 'next']);
  });

  describe('with a domain controller that is stopped', () => {
    let second: TestBed;
    before(async () => {
      second = await provisionTestBed({ dir: join(dir, 'dc2'), realm: 'corp.example.com', netbios: 'CORP', users: fixtureSpecs.filter((u) => u.key === 'alice') });
    });
    after(() => stopTestBed(join(dir, 'dc2')));

    it('fails and names that DC', async () => {
      // The CA file outlives the DC (stopping a test bed removes its folder).
      const caFile = join(dir, 'dc2-ca.pem');
      await copyFile(second.caCertPath, caFile);
      const config = await writeConfig('down.yaml', { ...testBedDirectory(second, caFile), connectTimeoutMs: 500 });
      await gatehouse(['keys', 'generate', '-c', config]);
      assert.equal((await gatehouse(['doctor', '--offline', '-c', config])).code, 0);
      await stopTestBed(join(dir, 'dc2'));
      const res = await gatehouse(['doctor', '--offline', '-c', config]);
      assert.equal(res.code, 1);
      assert.match(res.stdout, new RegExp(`FAIL +directory ${second.ldapsUrl.replaceAll('.', '\\.')}: `));
    });
  });
});
