import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../health/log.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { AuditEvent } from '../../store/types.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';
import { send } from '../wstrust/client.js';

/*
 * People paste their password into the user-name field. What a failed sign-in records of the
 * typed name — stdout log and audit table alike — must not be that password; every
 * client-supplied string recorded is bounded and free of control characters.
 */

const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };
const PASTED = 'Winter2026!Secret';

async function signIn(gh: RunningTestGatehouse, name: string, password: string): Promise<void> {
  await (await postLogin(new WebClient([gh.tlsCertPem]), gh.url, name, password)).text();
}

describe('what a failed sign-in records of the typed name', () => {
  let gh: RunningTestGatehouse;
  const log = new PassThrough();
  let logged = '';
  log.on('data', (d: Buffer) => (logged += d.toString()));

  const latest = async (type: string, n = 1): Promise<AuditEvent[]> => {
    await gh.runtime.audit.flush();
    const store = sqliteStore(gh.config.store.sqlitePath);
    try {
      return await store.audit.recent(n, { type });
    } finally {
      await store.close();
    }
  };

  before(async () => {
    gh = await startTestGatehouse({ directory: { users: [alice] }, log: createLogger('info', log) });
  });
  after(() => gh.stop());

  it('records a password typed as the user name only as a keyed pseudonym, in the log and the audit table', async () => {
    await signIn(gh, PASTED, 'whatever');
    await signIn(gh, PASTED, 'again');
    const [second, first] = await latest('signin', 2);
    assert.match(first?.user ?? '', /^unresolved:[0-9a-f]{12}$/);
    assert.equal(second?.user, first?.user, 'the same text gets the same pseudonym, so attempts correlate');
    assert.doesNotMatch(JSON.stringify([first, second]), new RegExp(PASTED));
    assert.doesNotMatch(logged, new RegExp(PASTED));
    assert.match(logged, /unresolved:[0-9a-f]{12}/);
  });

  it('records the account’s UPN for any spelling that names it, and a UPN-shaped unknown name as typed', async () => {
    await signIn(gh, 'CORP\\ALICE', 'wrong');
    assert.equal((await latest('signin'))[0]?.user, alice.upn);
    await signIn(gh, 'nobody@corp.example.com', 'wrong');
    assert.equal((await latest('signin'))[0]?.user, 'nobody@corp.example.com');
  });

  it('never records the typed name of a sam-shaped unknown user, which a password can look like', async () => {
    await signIn(gh, 'Passw0rd', 'x');
    assert.match((await latest('signin'))[0]?.user ?? '', /^unresolved:/);
  });

  it('never records a UPN-shaped text under a suffix that is not ours, which a password can look like too', async () => {
    for (const pasted of ['Summer@2024.x', 'P@ssw0rd.2024', 'Welcome@Home.1']) {
      await signIn(gh, pasted, 'x');
      assert.match((await latest('signin'))[0]?.user ?? '', /^unresolved:[0-9a-f]{12}$/, pasted);
      assert.doesNotMatch(logged, new RegExp(pasted.replace(/[.@]/g, '\\$&')));
    }
  });

  it('bounds and cleans an unknown AppliesTo before it is logged', async () => {
    // XML refuses most control characters itself; a line break and U+2028 it takes.
    const appliesTo = `urn:evil:\n{"level":50,"msg":"forged"}\u2028${'x'.repeat(5000)}`;
    const res = await send(gh, 'msal-python-13', { username: alice.upn, password: alice.password, appliesTo });
    assert.equal(res.status, 500);
    const [rejected] = await latest('request.rejected');
    assert.equal(rejected?.reason, 'unknown-relying-party');
    assert.ok((rejected?.relyingParty ?? '').length <= 257, 'bounded');
    assert.doesNotMatch(rejected?.relyingParty ?? '', /[\n\u2028]/);
    assert.doesNotMatch(logged, /xxxxxxxxxx{300}/, 'bounded in the log too');
  });
});
