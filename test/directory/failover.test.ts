import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { directoryFor, memoryLogger } from './helpers.js';

// Endpoints that refuse or hang ahead of the real DC: each failure mode on its own, in the
// shared test bed. Failover between two real, joined DCs is in two-dcs.test.ts.
let bed: TestBed;
let hanging: Server;
const held: Socket[] = [];
let hangingPort = 0;
let closedPort = 0;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve(typeof address === 'object' && address ? address.port : 0);
  }));
}

before(async () => {
  bed = await getTestBed();
  // Accepts TCP and never says a word: neither TLS handshake nor LDAP answer.
  hanging = createServer((socket) => { held.push(socket); });
  hangingPort = await listen(hanging);
  // A port that was just free and is closed again: connecting is refused.
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
});

after(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => hanging.close(resolve));
});

const cases: [string, () => string][] = [
  ['refuses connections', () => `ldaps://127.0.0.1:${closedPort}`],
  ['accepts and then hangs', () => `ldaps://127.0.0.1:${hangingPort}`],
];

describe('DC failover', () => {
  for (const [what, firstDc] of cases) {
    it(`signs in through the next DC when the first ${what}, and marks the first down`, async () => {
      const { lines, logger } = memoryLogger();
      const dead = firstDc();
      const directory = directoryFor(bed, { dcs: [dead, bed.ldapsUrl], logger, connectTimeoutMs: 1000, operationTimeoutMs: 5000 });
      try {
        const alice = bed.users.alice;
        assert.ok(alice);
        const result = await directory.authenticate(alice.upn, alice.password);
        assert.ok(result.ok, JSON.stringify(result));
        const [first, second] = directory.dcStatus();
        assert.equal(first?.url, dead);
        assert.equal(first?.failovers, 1);
        assert.ok((first?.downUntil ?? 0) > Date.now(), 'first DC is marked down for the retry interval');
        assert.equal(second?.failovers, 0);
        assert.ok(lines.some((l) => l.level === 'warn' && (l.obj as { dc?: string }).dc === dead), 'a log line names the failed DC');

        // While marked down the dead DC is not tried again.
        const again = await directory.authenticate(alice.upn, alice.password);
        assert.ok(again.ok);
        assert.equal(directory.dcStatus()[0]?.failovers, 1);
      } finally {
        await directory.close();
      }
    });
  }

  it('uses ldap:// with StartTLS, skipping a hanging first DC within the connect timeout', async () => {
    const { logger } = memoryLogger();
    const directory = directoryFor(bed, { dcs: [`ldap://127.0.0.1:${hangingPort}`, bed.ldapUrl], startTls: true, logger, connectTimeoutMs: 1000, operationTimeoutMs: 5000 });
    try {
      const alice = bed.users.alice;
      assert.ok(alice);
      const result = await directory.authenticate(`${bed.netbios}\\alice`, alice.password);
      assert.ok(result.ok, JSON.stringify(result));
      assert.match(directory.dcStatus()[0]?.lastError ?? '', /StartTLS timed out/);
    } finally {
      await directory.close();
    }
  });

  it('answers directory-unavailable and logs when no DC answers, without throwing', async () => {
    const { lines, logger } = memoryLogger();
    const directory = directoryFor(bed, { dcs: [`ldaps://127.0.0.1:${closedPort}`, `ldaps://127.0.0.1:${hangingPort}`], logger });
    try {
      assert.deepEqual(await directory.authenticate('alice@corp.example.com', 'Passw0rd!'), { ok: false, reason: 'directory-unavailable' });
      assert.ok(lines.some((l) => l.level === 'error'));
      await assert.rejects(directory.findUser({ upn: 'alice@corp.example.com' }), /no domain controller answered/);
      const health = await directory.checkHealth();
      assert.deepEqual(health.map((h) => h.ok), [false, false]);
    } finally {
      await directory.close();
    }
  });

  it('answers directory-unavailable when the service account cannot bind', async () => {
    const { lines, logger } = memoryLogger();
    const directory = directoryFor(bed, { serviceAccount: { dn: bed.service.dn, password: 'wrong' }, logger });
    try {
      assert.deepEqual(await directory.authenticate('alice@corp.example.com', 'Passw0rd!'), { ok: false, reason: 'directory-unavailable' });
      assert.ok(lines.some((l) => l.level === 'error'));
    } finally {
      await directory.close();
    }
  });

  it('refuses a DC whose certificate is not from the configured CA', async () => {
    const directory = directoryFor(bed, { caCertPem: undefined });
    try {
      assert.deepEqual(await directory.authenticate('alice@corp.example.com', 'Passw0rd!'), { ok: false, reason: 'directory-unavailable' });
    } finally {
      await directory.close();
    }
  });
});
