import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { directoryFromConfig } from '../../directory/from-config.js';
import { warnIfEslCanLockAd } from '../../health/ad-lockout-check.js';
import { createLogger } from '../../health/log.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { gatehouse } from '../support/cli.js';
import { testBedDirectory } from '../support/gatehouse.js';

/*
 * Extranet smart lockout must never lock AD (AD FS: ExtranetLockoutThreshold below AD's): the
 * doctor and the start compare our thresholds with what Samba holds — the test bed's lockout PSO
 * locks at 3 bad passwords (test/ad/fixtures.ts createLockoutPso), its domain policy at none.
 * AD shows PSOs only to whom may read the Password Settings Container (by default administrators):
 * these configs bind as the test bed's administrator, as an operator who granted that read would.
 */

const CHECK = 'extranet lockout vs AD lockout';
interface Report { checks: { part: string; status: string; detail: string; fix?: string }[] }

describe('extranet lockout thresholds against AD’s (Samba)', () => {
  let bed: TestBed;
  let dir: string;
  before(async () => {
    bed = await getTestBed();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-doctor-lockout-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const configFile = async (name: string, lockout: ConfigInput['lockout']) => {
    const file = join(dir, name);
    const input: ConfigInput = {
      server: { publicUrl: 'https://localhost:1' },
      directory: { ...testBedDirectory(bed, bed.caCertPath), serviceAccount: { dn: bed.admin.dn, password: bed.admin.password } } as ConfigInput['directory'],
      federation: { domains: [{ name: 'corp.example.com' }] },
      keys: { keyEncryptionKey: Buffer.alloc(32, 7).toString('base64') },
      store: { sqlitePath: join(dir, `${name}.db`) },
      lockout,
    };
    await writeFile(file, stringify(input));
    return file;
  };
  const doctor = async (file: string) => {
    const res = await gatehouse(['doctor', '-c', file, '--json', '--offline']);
    const check = (JSON.parse(res.stdout) as Report).checks.find((c) => c.part === CHECK);
    assert.ok(check, `no ${CHECK} check in ${res.stdout}`);
    return { code: res.code, check };
  };

  it('fails when familiar plus unfamiliar failures would reach the PSO’s threshold of 3', async () => {
    const { code, check } = await doctor(await configFile('sum3.yaml', { extranetThreshold: 2, familiarThreshold: 1 }));
    assert.equal(check.status, 'fail', check.detail);
    assert.match(check.detail, /locks at 3 \(PSO GH Lockout\)/);
    assert.match(check.fix ?? '', /below 3/);
    assert.equal(code, 1);
  });

  it('passes when their sum stays below it, and in logOnly mode counts the one enforced threshold', async () => {
    for (const [name, lockout] of [['sum2.yaml', { extranetThreshold: 1, familiarThreshold: 1 }], ['logonly.yaml', { mode: 'logOnly', extranetThreshold: 2 }]] as const) {
      const { check } = await doctor(await configFile(name, lockout));
      assert.equal(check.status, 'pass', `${name}: ${check.detail}`);
      assert.match(check.detail, /below its lowest lockout threshold 3 \(PSO GH Lockout\)/);
    }
  });

  it('warns when the extranet lockout is off', async () => {
    const { check } = await doctor(await configFile('off.yaml', { extranetThreshold: 0 }));
    assert.equal(check.status, 'warn');
    assert.match(check.detail, /off/);
  });

  it('says when the service account sees no PSO', async () => {
    const file = join(dir, 'svc.yaml');
    const input: ConfigInput = {
      server: { publicUrl: 'https://localhost:1' },
      directory: testBedDirectory(bed, bed.caCertPath),
      federation: { domains: [{ name: 'corp.example.com' }] },
      keys: { keyEncryptionKey: Buffer.alloc(32, 7).toString('base64') },
      store: { sqlitePath: join(dir, 'svc.db') },
      lockout: { extranetThreshold: 2, familiarThreshold: 1 },
    };
    await writeFile(file, stringify(input));
    const { check } = await doctor(file);
    // AD shows it nothing to compare with: the check can pass only saying so.
    assert.equal(check.status, 'pass', check.detail);
    assert.match(check.detail, /AD locks no account; .*no PSO is visible to the service account/);
  });

  it('logs a warning at start when the thresholds could lock AD, and none when they cannot', async () => {
    for (const [name, lockout, warns] of [['start-bad.yaml', { extranetThreshold: 3, familiarThreshold: 3 }, true], ['start-ok.yaml', { extranetThreshold: 1, familiarThreshold: 1 }, false]] as const) {
      const config = await loadConfig(await configFile(name, lockout));
      const lines: string[] = [];
      const log = createLogger('info', { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream);
      const directory = await directoryFromConfig(config, log);
      try {
        await warnIfEslCanLockAd(config.lockout, directory, log);
      } finally {
        await directory.close();
      }
      const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string; detail?: string }).filter((l) => l.level === 40 && /lockout/.test(l.msg));
      assert.equal(warnings.length, warns ? 1 : 0, `${name}: ${lines.join('')}`);
      if (warns) assert.match(warnings[0]!.detail ?? '', /6 bad passwords .* locks at 3/);
    }
  });
});
