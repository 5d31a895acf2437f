import { groupAlive } from '../ad/samba.js';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'ldapts';
import { createUser, fixtureSpecs, type FixtureSpec, type FixtureUser } from '../ad/fixtures.js';
import { transferLoopbackLock } from '../ad/loopback.js';
import { provisionSecondDc, replicateToSecondDc, type SecondDc } from '../ad/second-dc.js';
import { provisionTestBed, stopTestBed, type TestBed } from '../ad/testbed.js';
import { directoryFor, memoryLogger } from './helpers.js';

// Failover between two real Samba DCs: dc2 is joined to dc1's domain by `samba-tool domain join`.
// The test bed is this file's own (never GATEHOUSE_TESTBED's shared one): it stops dc1.
let bed: TestBed;
let dc2: SecondDc;
let dir: string;

const alice = fixtureSpecs.find((spec) => spec.key === 'alice');
const zoe: FixtureSpec = { key: 'zoe', sam: 'zoe', expected: 'ok', givenName: 'Zoe', surname: 'Zimmer' };
const timeouts = { connectTimeoutMs: 1000, operationTimeoutMs: 3000 };

function aliceOf(): FixtureUser {
  const user = bed.users.alice;
  assert.ok(user);
  return user;
}

/** Creates a user on dc1 alone, the way an administrator's console would. */
async function createOnDc1(spec: FixtureSpec): Promise<FixtureUser> {
  const client = new Client({ url: bed.ldapsUrl, connectTimeout: 2000, timeout: 10_000, tlsOptions: { ca: bed.caCertPem } });
  try {
    await client.bind(bed.admin.dn, bed.admin.password);
    return await createUser({ client, baseDn: bed.baseDn, realm: bed.realm }, spec, undefined, bed.ldapsUrl, bed.caCertPem);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}


before(async () => {
  assert.ok(alice);
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-two-dcs-'));
  bed = await provisionTestBed({ dir, realm: 'corp.example.com', netbios: 'CORP', users: [alice], joinable: true });
  dc2 = await provisionSecondDc(bed);
});

after(async () => {
  if (dir) await stopTestBed(dir);
});

describe('two domain controllers', () => {
  it('signs in through dc2 a user created on dc1, once dc2 has replicated it', async () => {
    const user = await createOnDc1(zoe);
    const directory = directoryFor(bed, { dcs: [dc2.ldapsUrl], ...timeouts });
    try {
      // dc2 runs no replication service of its own: until pulled, the user exists on dc1 alone.
      assert.deepEqual(await directory.authenticate(user.upn, user.password), { ok: false, reason: 'no-such-user' });
      await replicateToSecondDc(bed, dc2);
      const result = await directory.authenticate(user.upn, user.password);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.user.upn, user.upn);
      assert.equal((await directory.authenticate(user.upn, 'not-her-password')).ok, false);
      assert.equal(directory.dcStatus()[0]?.failovers, 0);
    } finally {
      await directory.close();
    }
  });

  it('keeps 16 concurrent sign-in loops answering while dc1 hangs under them (dc1 marked down once it answers nothing, not after the operation timeout), re-tests dc1 with one probe, and uses it again once it answers', async () => {
    const user = aliceOf();
    const { lines, logger } = memoryLogger();
    const directory = directoryFor(bed, { dcs: [bed.ldapsUrl, dc2.ldapsUrl], ...timeouts, retryDownAfterMs: 1500, logger });
    const failures: string[] = [];
    let signIns = 0;
    let running = true;
    const loop = async () => {
      while (running) {
        const result = await directory.authenticate(user.upn, user.password);
        if (result.ok) signIns++;
        else failures.push(result.reason);
      }
    };
    const linesFor = (msg: string) => lines.filter((l) => l.msg === msg && (l.obj as { dc?: string }).dc === bed.ldapsUrl);
    const loops = Array.from({ length: 16 }, loop);
    try {
      while (signIns < 50) await sleep(20);
      assert.equal(directory.dcStatus()[0]?.failovers, 0, 'dc1 served the loops before it hung');
      process.kill(-bed.pid, 'SIGSTOP');
      try {
        // Past the operation timeout, dc1's mark-down, and three down intervals with their probes.
        while (directory.dcStatus()[0]?.failovers === 0) await sleep(50);
        const timedOutAtMarkDown = linesFor('directory: operation timed out').length;
        assert.equal(linesFor('directory: DC marked down').length, 1, 'a warning names dc1 marked down');
        const afterMarkDown = signIns;
        await sleep(3 * 1500 + 1000);
        assert.ok(signIns > afterMarkDown + 50, `sign-ins went on through dc2 (${signIns - afterMarkDown} after the mark-down)`);
        const [first, second] = directory.dcStatus();
        assert.equal(first?.failovers, 1, 'dc1 was marked down once, not again each time its down mark expired');
        assert.ok((first?.downUntil ?? 0) > 0, 'dc1 is still down: its probes found it hung');
        assert.equal(second?.failovers, 0);
        assert.equal(linesFor('directory: operation timed out').length, timedOutAtMarkDown, 'no caller waited on dc1 again after its mark-down: only probes tested it');
      } finally {
        process.kill(-bed.pid, 'SIGCONT');
      }
      while (linesFor('directory: DC answers again').length === 0) await sleep(100);
      assert.equal(directory.dcStatus()[0]?.downUntil, 0, 'dc1 is up again after a probe that answered');
      running = false;
      await Promise.all(loops);
      // The DirectoryUnavailable detail (every DC's error) of a failed sign-in, to see which path failed it.
      const failed = lines.filter((l) => l.level === 'error').map((l) => ({ msg: l.msg, ...l.obj }));
      assert.deepEqual(failures, [], `no sign-in failed: ${JSON.stringify(failed)}`);
    } finally {
      running = false;
      await Promise.all(loops);
      await directory.close();
    }
  });

  it('signs in through dc2 while dc1 hangs, and health names dc1 down', async () => {
    const user = aliceOf();
    process.kill(-bed.pid, 'SIGSTOP');
    const directory = directoryFor(bed, { dcs: [bed.ldapsUrl, dc2.ldapsUrl], ...timeouts });
    try {
      const result = await directory.authenticate(user.upn, user.password);
      assert.ok(result.ok, JSON.stringify(result));
      const [first, second] = directory.dcStatus();
      assert.equal(first?.url, bed.ldapsUrl);
      assert.equal(first?.failovers, 1);
      assert.ok((first?.downUntil ?? 0) > Date.now(), 'dc1 is marked down for the retry interval');
      assert.equal(second?.failovers, 0);

      const health = await directory.checkHealth();
      assert.deepEqual(health.map((h) => [h.dc, h.ok]), [[bed.ldapsUrl, false], [dc2.ldapsUrl, true]]);
    } finally {
      await directory.close();
    }
  });

  it('signs in through dc2 once dc1 is gone and refuses connections', async () => {
    const user = aliceOf();
    // The test keeps dc1's loopback address until cleanup, so no other test bed takes it over.
    await transferLoopbackLock(bed.host, process.pid);
    process.kill(-bed.pid, 'SIGKILL');
    for (let i = 0; i < 100 && groupAlive(bed.pid); i++) await sleep(50);
    const directory = directoryFor(bed, { dcs: [bed.ldapsUrl, dc2.ldapsUrl], ...timeouts });
    try {
      const result = await directory.authenticate(user.upn, user.password);
      assert.ok(result.ok, JSON.stringify(result));
      const [first] = directory.dcStatus();
      assert.equal(first?.failovers, 1);
      assert.match(first?.lastError ?? '', /ECONNREFUSED/);

      const health = await directory.checkHealth();
      assert.equal(health[0]?.ok, false);
      assert.match(health[0]?.error ?? '', /ECONNREFUSED/);
      assert.equal(health[1]?.ok, true);
    } finally {
      await directory.close();
    }
  });
});
