import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DirectoryUser } from '../../directory/types.js';
import { ExternalHookProvider } from '../../sts/signin/mfa/external.js';
import { startMfaHook, type HookDecision, type HookRequest } from '../support/mfa-hook.js';

const SECRET = 'a shared secret of at least thirty-two bytes';
const alice = { objectGuid: '11111111-2222-3333-4444-555555555555', upn: 'alice@corp.example.com', samAccountName: 'alice', groups: [{ dn: 'CN=MFA Users,OU=Groups,DC=corp,DC=example,DC=com', name: 'MFA Users', sid: 'S-1-5-21-1-2-3-1105' }] } as unknown as DirectoryUser;
const ctx = { relyingParty: 'urn:federation:MicrosoftOnline', clientIp: '203.0.113.9' };

let decide: (r: HookRequest) => HookDecision = () => ({ status: 'pending' });
let hook: Awaited<ReturnType<typeof startMfaHook>>;
const failures: string[] = [];
const provider = (over: Partial<ConstructorParameters<typeof ExternalHookProvider>[0]> = {}) =>
  new ExternalHookProvider({ url: hook.url, secret: SECRET, name: 'push', timeoutMs: 500, groups: [], ...over }, (why) => failures.push(why));

before(async () => {
  hook = await startMfaHook(SECRET, (r) => decide(r));
});
after(() => hook.close());

describe('external MFA hook (docs/mfa-hook.md)', () => {
  it('begins and checks a push that the service approves, with signed and timestamped requests naming the user and the challenge', async () => {
    decide = (r) => (r.body.type === 'begin' ? { status: 'pending', message: 'Approve the request on your phone ending 42', state: 'vendor-ref-1' } : { status: 'approved' });
    const p = provider();
    const started = await p.begin(alice, ctx);
    assert.ok(started.ok);
    assert.deepEqual(started.prompt, { provider: 'external', wantsCode: false, message: 'Approve the request on your phone ending 42' });
    const verdict = await p.verify(alice, started.state, undefined, ctx);
    assert.deepEqual(verdict, { ok: true });
    const [begin, check] = hook.requests.slice(-2);
    assert.ok(begin!.signatureValid && check!.signatureValid, 'HMAC-SHA256 over timestamp.body');
    assert.ok(begin!.timestampSkewSeconds < 5);
    assert.equal(begin!.body.type, 'begin');
    assert.deepEqual(begin!.body.user, { upn: alice.upn, objectGuid: alice.objectGuid, samAccountName: 'alice' });
    assert.equal(begin!.body.relyingParty, ctx.relyingParty);
    assert.equal(begin!.body.clientIp, ctx.clientIp);
    assert.equal(check!.body.type, 'check');
    assert.equal(check!.body.challengeId, begin!.body.challengeId);
    assert.equal(check!.body.state, 'vendor-ref-1', 'the service’s state comes back to it');
    await p.close();
  });

  it('passes a typed code (SMS) to the check and reports denied, pending and approved as the service says', async () => {
    const p = provider();
    decide = () => ({ status: 'pending', wantsCode: true });
    const started = await p.begin(alice, ctx);
    assert.ok(started.ok && started.prompt.wantsCode);
    for (const status of ['denied', 'pending'] as const) {
      decide = () => ({ status });
      assert.deepEqual(await p.verify(alice, started.state, '123456', ctx), { ok: false, reason: status });
      assert.equal(hook.requests.at(-1)!.body.code, '123456');
    }
    decide = (r) => ({ status: r.body.code === '654321' ? 'approved' : 'denied' });
    assert.deepEqual(await p.verify(alice, started.state, '654321', ctx), { ok: true });
    decide = () => ({ status: 'denied' });
    assert.deepEqual(await p.begin(alice, ctx), { ok: false, reason: 'denied' }, 'the service may refuse to start');
    await p.close();
  });

  it('fails closed when the service does not answer in time, answers an error, or answers unsigned, for another challenge or off contract', async () => {
    const p = provider({ timeoutMs: 300 });
    decide = () => ({ status: 'pending' });
    const started = await p.begin(alice, ctx);
    assert.ok(started.ok);
    const cases: [string, HookDecision, RegExp][] = [
      ['timeout', { hang: true }, /no answer within 300 ms/],
      ['HTTP 500', { raw: { status: 500, body: '{}' } }, /HTTP 500/],
      ['unsigned approval', { sign: false, status: 'approved' }, /timestamp missing|signature/],
      ['approval signed with another secret', { raw: { status: 200, body: '{"status":"approved"}', headers: { 'content-type': 'application/json', 'x-gatehouse-timestamp': String(Math.floor(Date.now() / 1000)), 'x-gatehouse-signature': 'v1=00' } } }, /signature/],
      ['plain text', { raw: { status: 200, body: 'approved' } }, /not application\/json/],
      ['another challenge', { status: 'approved', challengeId: 'not-the-one-asked' } as HookDecision, /another challenge/],
      ['unknown status', { status: 'yes' as 'approved' }, /contract/],
    ];
    for (const [name, d, why] of cases) {
      failures.length = 0;
      decide = () => d;
      const t0 = Date.now();
      const v = await p.verify(alice, started.state, undefined, ctx);
      if (name === 'timeout') assert.ok(Date.now() - t0 < 2000, 'bounded by timeoutMs');
      assert.deepEqual(v, { ok: false, reason: 'unavailable' }, name);
      assert.match(failures.join('\n'), why, name);
      assert.doesNotMatch(failures.join('\n'), /alice|203\.0\.113|secret/i, 'the log line names neither user, address nor secret');
    }
    await p.close();
    const gone = provider({ url: 'http://127.0.0.1:9/mfa' });
    assert.deepEqual(await gone.begin(alice, ctx), { ok: false, reason: 'unavailable' }, 'connection refused');
    await gone.close();
  });

  it('is offered to members of its groups only, by name, DN or SID, when groups are configured', async () => {
    const bob = { ...alice, groups: [] } as unknown as DirectoryUser;
    for (const g of ['mfa users', 'CN=MFA Users,OU=Groups,DC=corp,DC=example,DC=com', 'S-1-5-21-1-2-3-1105']) {
      const p = provider({ groups: [g] });
      assert.equal(await p.availableFor(alice), true, g);
      assert.equal(await p.availableFor(bob), false, g);
      await p.close();
    }
    const all = provider();
    assert.equal(await all.availableFor(bob), true, 'no groups: everyone');
    await all.close();
  });
});
