import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Directory } from '../../directory/types.js';
import { memoryStore } from '../../store/memory.js';
import { AddressThrottle } from '../../sts/signin/address-throttle.js';
import { ExtranetLockout } from '../../sts/signin/extranet-lockout.js';
import { checkPassword } from '../../sts/signin/password.js';

/** A directory that records whether it was asked at all. */
function watchedDirectory(): Directory & { calls: number } {
  const d = {
    calls: 0,
    async locate(name: string) {
      d.calls++;
      return { ok: true as const, account: { key: `name:${name}` } };
    },
    async authenticate() {
      d.calls++;
      return { ok: false as const, reason: 'bad-password' as const };
    },
    async findUser() {
      return null;
    },
    async changePassword() {
      d.calls++;
      return { ok: false as const, reason: 'bad-password' as const };
    },
    async checkHealth() {
      return [];
    },
    async close() {},
  };
  return d;
}

const lockoutOptions = { mode: 'enforce', threshold: 3, familiarThreshold: 3, observationWindowMs: 60_000, familiarAddresses: 20, familiarLifetimeMs: 86_400_000 } as const;
const extranet = { clientIp: '203.0.113.5', extranet: true };

function deps(directory: Directory) {
  const store = memoryStore();
  return {
    directory,
    lockout: new ExtranetLockout(store.counters, store.activity, lockoutOptions, Buffer.alloc(32, 1)),
    throttle: new AddressThrottle(store.counters, { failedPerAddress: 0, failedWindowMs: 60_000, bannedAddresses: [] }),
  };
}

describe('password input checks before the directory', () => {
  for (const [what, username, password] of [
    ['an empty password (an anonymous bind would succeed)', 'alice', ''],
    ['a NUL in the password', 'alice', 'Passw0rd!\0anything'],
    ['a blank user name', '   ', 'x'],
    ['an oversize user name', 'a'.repeat(300), 'x'],
    ['an oversize password', 'alice', 'x'.repeat(600)],
    ['a password that is not a string', 'alice', ['x']],
  ] as const) {
    it(`refuses ${what} without asking the directory`, async () => {
      const d = watchedDirectory();
      assert.deepEqual(await checkPassword(deps(d), username, password, extranet), { ok: false, reason: 'invalid-input' });
      assert.equal(d.calls, 0);
    });
  }

  it('passes a well-formed attempt on, user name trimmed', async () => {
    const d = watchedDirectory();
    const result = await checkPassword(deps(d), ' alice@corp.example.com ', 'x', extranet);
    assert.equal(result.ok, false);
    assert.equal(result.account?.key, 'name:alice@corp.example.com');
    assert.equal(d.calls, 2, 'located, then asked');
  });
});

describe('extranet lockout under concurrent guesses', () => {
  it('lets no more than the threshold of 40 simultaneous wrong passwords reach the directory', async () => {
    let binds = 0;
    const slow: Directory = {
      ...watchedDirectory(),
      // Every spelling names one account, as the directories resolve it.
      async locate() {
        return { ok: true as const, account: { key: 'guid:bob', upn: 'bob@corp.example.com' } };
      },
      async authenticate() {
        binds++;
        await new Promise((r) => setTimeout(r, 20));
        return { ok: false as const, reason: 'bad-password' as const };
      },
    };
    const d = deps(slow);
    const spellings = ['bob', 'CORP\\bob', 'bob@corp.example.com', 'BOB'];
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => checkPassword(d, spellings[i % 4], `guess-${i}`, extranet)));
    assert.equal(binds, 3, 'the budget is taken before the bind, so a burst cannot all pass the check');
    assert.equal(results.filter((r) => r.extranetLockout).length, 37);
  });

  it('gives the attempt back when the directory does not answer, and refills the budget on a success', async () => {
    const answers: ('directory-unavailable' | 'bad-password' | 'ok')[] = ['directory-unavailable', 'directory-unavailable', 'directory-unavailable', 'bad-password', 'bad-password', 'ok', 'bad-password', 'bad-password', 'bad-password'];
    let binds = 0;
    const dir: Directory = {
      ...watchedDirectory(),
      async locate() {
        return { ok: true as const, account: { key: 'guid:carl' } };
      },
      async authenticate() {
        const a = answers[binds++]!;
        return a === 'ok' ? { ok: true as const, user: {} as never } : { ok: false as const, reason: a };
      },
    };
    const d = deps(dir);
    for (let i = 0; i < answers.length; i++) await checkPassword(d, 'carl', 'x', extranet);
    assert.equal(binds, answers.length, 'three outages and two wrong guesses left room for the success, which refilled the budget for three more');
    assert.equal((await checkPassword(d, 'carl', 'x', extranet)).extranetLockout, true);
  });
});
