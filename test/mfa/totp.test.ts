import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { DirectoryUser } from '../../directory/types.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { TotpProvider } from '../../sts/signin/mfa/totp.js';
import { tempDir } from '../support/tmp.js';

const KEK = Buffer.alloc(32, 7);
const user = (guid: string, upn: string) => ({ objectGuid: guid, upn, groups: [] }) as unknown as DirectoryUser;
const alice = user('11111111-2222-3333-4444-555555555555', 'alice@corp.example.com');
const bob = user('99999999-2222-3333-4444-555555555555', 'bob@corp.example.com');
/** A code of `secret` at `ms`, computed by otpauth independently of the provider. */
const codeAt = (secret: string, ms: number) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: ms });

async function setUp(now: { t: number }) {
  const path = join(await tempDir(), 'g.db');
  const store = sqliteStore(path);
  const totp = new TotpProvider({ store: store.mfa, kek: KEK, issuer: 'Contoso', driftSteps: 1, now: () => now.t });
  return { path, store, totp };
}

describe('TOTP provider (RFC 6238)', () => {
  it('enrols with a code from the new secret, stores the secret sealed, and names issuer and account in the otpauth URI', async () => {
    const now = { t: 1_700_000_000_000 };
    const { path, store, totp } = await setUp(now);
    const fresh = totp.newAuthenticator(alice);
    assert.match(fresh.secret, /^[A-Z2-7]{32}$/, '160-bit base32 secret');
    const uri = new URL(fresh.uri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('issuer'), 'Contoso');
    assert.equal(uri.searchParams.get('secret'), fresh.secret);
    assert.match(decodeURIComponent(uri.pathname), /alice@corp\.example\.com/);
    assert.equal(await totp.availableFor(alice), false);
    assert.deepEqual(await totp.enrol(alice, fresh.secret, '000000' === codeAt(fresh.secret, now.t) ? '111111' : '000000'), { ok: false, reason: 'wrong-code' });
    assert.deepEqual(await totp.enrol(alice, fresh.secret, codeAt(fresh.secret, now.t)), { ok: true });
    assert.equal(await totp.availableFor(alice), true);
    await store.close();
    const file = await readFile(path);
    assert.equal(file.includes(Buffer.from(fresh.secret)), false, 'no base32 secret in the database file');
    assert.equal(file.includes(Buffer.from(Secret.fromBase32(fresh.secret).bytes)), false, 'no raw secret bytes either');
  });

  it('accepts the current code and one step of drift either side, not two, and never the same or an older code twice', async () => {
    const now = { t: 1_700_000_010_000 };
    const { store, totp } = await setUp(now);
    const { secret } = totp.newAuthenticator(alice);
    assert.deepEqual(await totp.enrol(alice, secret, codeAt(secret, now.t - 30_000)), { ok: true }, 'enrolled with the previous step’s code');
    assert.deepEqual(await totp.verify(alice, '', codeAt(secret, now.t - 30_000)), { ok: false, reason: 'replayed-code' }, 'the enrolment code is used');
    assert.deepEqual(await totp.verify(alice, '', codeAt(secret, now.t + 60_000)), { ok: false, reason: 'wrong-code' }, 'two steps ahead');
    assert.deepEqual(await totp.verify(alice, '', codeAt(secret, now.t)), { ok: true });
    assert.deepEqual(await totp.verify(alice, '', codeAt(secret, now.t)), { ok: false, reason: 'replayed-code' }, 'reused code');
    assert.deepEqual(await totp.verify(alice, '', codeAt(secret, now.t + 30_000).replace(/^(...)/, '$1 ')), { ok: true }, 'one step ahead, typed with a space');
    assert.deepEqual(await totp.verify(alice, '', codeAt(secret, now.t)), { ok: false, reason: 'replayed-code' }, 'an older code after a newer one');
    now.t += 120_000;
    assert.deepEqual(await totp.verify(alice, '', codeAt(secret, now.t - 90_000)), { ok: false, reason: 'wrong-code' }, 'three steps old');
    assert.deepEqual(await totp.verify(alice, '', codeAt(secret, now.t)), { ok: true });
    for (const junk of [undefined, '', '12345', '1234567', 'abcdef', '١٢٣٤٥٦']) assert.deepEqual(await totp.verify(alice, '', junk), { ok: false, reason: 'wrong-code' });
    await store.close();
  });

  it('does not let a second enrolment replace the first, and a secret row moved to another user does not open', async () => {
    const now = { t: 1_700_000_020_000 };
    const { store, totp } = await setUp(now);
    const first = totp.newAuthenticator(alice);
    assert.deepEqual(await totp.enrol(alice, first.secret, codeAt(first.secret, now.t)), { ok: true });
    const second = totp.newAuthenticator(alice);
    assert.deepEqual(await totp.enrol(alice, second.secret, codeAt(second.secret, now.t)), { ok: false, reason: 'denied' });
    assert.deepEqual(await totp.verify(bob, '', codeAt(first.secret, now.t + 30_000)), { ok: false, reason: 'not-enrolled' });
    const row = (await store.mfa.getTotp(alice.objectGuid))!;
    await store.mfa.addTotp({ ...row, userKey: bob.objectGuid, upn: bob.upn });
    assert.deepEqual(await totp.verify(bob, '', codeAt(first.secret, now.t + 30_000)), { ok: false, reason: 'unavailable' }, 'fail-closed');
    const told: string[] = [];
    const otherKek = new TotpProvider({ store: store.mfa, kek: Buffer.alloc(32, 8), issuer: 'Contoso', driftSteps: 1, now: () => now.t, onFailure: (w) => told.push(w) });
    assert.deepEqual(await otherKek.verify(alice, '', codeAt(first.secret, now.t + 30_000)), { ok: false, reason: 'unavailable' });
    assert.match(told.join(), /does not open under this key-encryption key/);
    assert.doesNotMatch(told.join(), new RegExp(first.secret));
    await store.close();
  });
});
