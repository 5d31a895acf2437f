import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { directoryFor, memoryLogger } from './helpers.js';

// The pool's bounds against the real DC of the shared test bed: callers beyond the pool wait for
// a connection instead of opening more, and a full queue is this machine being busy, never the DC.
let bed: TestBed;

before(async () => {
  bed = await getTestBed();
});

function alice() {
  const user = bed.users.alice;
  assert.ok(user);
  return user;
}

describe('DC pool bounds', () => {
  it('serves 24 concurrent sign-ins over at most 2 connections per kind, all of them answered', async () => {
    const directory = directoryFor(bed, { poolSize: 2 });
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const open = directory.dcStatus()[0]?.open;
        most = Math.max(most, open?.service ?? 0, open?.bind ?? 0);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      const { upn, password } = alice();
      const results = await Promise.all(Array.from({ length: 24 }, () => directory.authenticate(upn, password)));
      assert.deepEqual(results.map((r) => r.ok), Array(24).fill(true));
      assert.ok(most >= 1 && most <= 2, `at most 2 connections were open per kind (saw ${most})`);
      assert.equal(directory.dcStatus()[0]?.failovers, 0);
    } finally {
      sampling = false;
      await sampler;
      await directory.close();
    }
  });

  it('answers directory-unavailable beyond a full queue, and does not mark the DC down for it', async () => {
    const { lines, logger } = memoryLogger();
    const directory = directoryFor(bed, { poolSize: 1, maxQueued: 0, logger });
    try {
      const { upn, password } = alice();
      const results = await Promise.all(Array.from({ length: 8 }, () => directory.authenticate(upn, password)));
      const reasons = results.map((r) => (r.ok ? 'ok' : r.reason));
      assert.ok(reasons.includes('ok'), 'the caller that got the connection signed in');
      assert.ok(reasons.includes('directory-unavailable'), `callers past the full queue were turned away: ${reasons.join(' ')}`);
      assert.ok(reasons.every((r) => r === 'ok' || r === 'directory-unavailable'), reasons.join(' '));
      const [state] = directory.dcStatus();
      assert.equal(state?.failovers, 0, 'a busy pool is not a DC failure');
      assert.equal(state?.downUntil, 0);
      assert.ok(!lines.some((l) => l.msg === 'directory: DC marked down'));
      assert.ok((await directory.authenticate(upn, password)).ok, 'the DC serves the next caller');
    } finally {
      await directory.close();
    }
  });

  it('lets a caller wait in the queue up to queueTimeoutMs and then answers directory-unavailable', async () => {
    // One connection per kind: the caller holding it keeps it for a whole LDAP round trip, far past 1 ms.
    const directory = directoryFor(bed, { poolSize: 1, queueTimeoutMs: 1 });
    try {
      const { upn, password } = alice();
      const results = await Promise.all(Array.from({ length: 6 }, () => directory.authenticate(upn, password)));
      const reasons = results.map((r) => (r.ok ? 'ok' : r.reason));
      assert.ok(reasons.includes('ok'), reasons.join(' '));
      assert.ok(reasons.includes('directory-unavailable'), `callers queued past 1 ms were turned away: ${reasons.join(' ')}`);
      assert.equal(directory.dcStatus()[0]?.failovers, 0);
    } finally {
      await directory.close();
    }
  });
});
