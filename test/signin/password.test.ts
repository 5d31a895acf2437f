import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Directory } from '../../directory/types.js';
import { memoryStore } from '../../store/memory.js';
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

function deps(directory: Directory) {
  return { directory, lockout: new ExtranetLockout(memoryStore().counters, { threshold: 3, observationWindowMs: 60_000 }) };
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
      assert.deepEqual(await checkPassword(deps(d), username, password, true), { ok: false, reason: 'invalid-input' });
      assert.equal(d.calls, 0);
    });
  }

  it('passes a well-formed attempt on, user name trimmed', async () => {
    const d = watchedDirectory();
    const result = await checkPassword(deps(d), ' alice@corp.example.com ', 'x', true);
    assert.equal(result.ok, false);
    assert.equal(result.account?.key, 'name:alice@corp.example.com');
    assert.equal(d.calls, 2, 'located, then asked');
  });
});
