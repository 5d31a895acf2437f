import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AUDIT_EVENTS } from '../../health/audit-events.js';
import { gatehouse } from '../support/cli.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
type Line = { eventId: number; event: string; adfsEventId?: string; type: string; outcome: string; user?: string; reason?: string; relyingParty?: string; at: string };
const lines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

describe('gatehouse audit search | tail, and the audit.file JSON lines, beside a running server', () => {
  let gh: RunningTestGatehouse;
  let startedAt: Date;
  const audit = (...args: string[]) => gatehouse(['audit', ...args, '-c', join(gh.dir, 'gatehouse.yaml')]);
  before(async () => {
    gh = await startTestGatehouse({
      directory: { users: [{ upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '0e5b6d2c-5d7b-4c4e-9d2a-6f0b5c1d2e3f' }] },
      extra: { audit: { file: 'audit/events.jsonl', retentionDays: 30 } },
    });
    startedAt = new Date();
    // A failed sign-in by a known user, one with a name that is no account (kept as a pseudonym), then a good one.
    await postLogin(new WebClient([gh.tlsCertPem]), gh.url, 'Alice@corp.example.com', 'wrong-password');
    await postLogin(new WebClient([gh.tlsCertPem]), gh.url, 'bob@fabrikam.example', 'Summer2024!');
    await postLogin(new WebClient([gh.tlsCertPem]), gh.url, 'alice@corp.example.com', 'Passw0rd!');
  });
  after(async () => gh?.stop());

  it('finds the failed sign-in by user (a UPN in another case) and time, with its event id and reason', async () => {
    const res = await audit('search', '--user', 'ALICE@CORP.EXAMPLE.COM', '--event', 'signin', '--since', startedAt.toISOString(), '--json');
    assert.equal(res.code, 0, res.stderr);
    const found = lines(res.stdout);
    assert.deepEqual(found.map((e) => [e.eventId, e.outcome, e.user]), [[8001, 'failure', 'alice@corp.example.com'], [8000, 'success', 'alice@corp.example.com']]);
    assert.equal(found[0]!.adfsEventId, AUDIT_EVENTS.signin!.adfs!.failure);
    assert.ok(found[0]!.reason, 'a failure names its reason');
    const byId = await audit('search', '--user', 'alice@corp.example.com', '--event', '8001', '--since', '10m');
    assert.equal(byId.code, 0, byId.stderr);
    assert.match(byId.stdout, /^\S+Z 8001 signin failure alice@corp\.example\.com rp=urn:federation:MicrosoftOnline ip=127\.0\.0\.1 reason=\S+/);
    assert.equal(byId.stdout.trim().split('\n').length, 1);
  });

  it('finds a sign-in with a name that named no account by that name, though it is stored as a pseudonym', async () => {
    const res = await audit('search', '--user', 'bob@fabrikam.example', '--json');
    assert.equal(res.code, 0, res.stderr);
    const [event] = lines(res.stdout);
    assert.equal(event?.outcome, 'failure');
    assert.match(event?.user ?? '', /^unresolved:[0-9a-f]{12}$/);
    assert.doesNotMatch(res.stdout, /Summer2024/);
  });

  it('records the token issued for the good sign-in, and finds nothing outside the time range (exit 1)', async () => {
    const tokens = lines((await audit('search', '--event', 'token.issued', '--json')).stdout);
    assert.deepEqual(tokens.map((e) => [e.eventId, e.user, e.relyingParty, e.adfsEventId]), [[8010, 'alice@corp.example.com', 'urn:federation:MicrosoftOnline', AUDIT_EVENTS['token.issued']!.adfs!.success]]);
    const none = await audit('search', '--user', 'alice@corp.example.com', '--until', startedAt.toISOString());
    assert.deepEqual([none.code, none.stdout], [1, '']);
    const bad = await audit('search', '--event', 'nonsense');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown audit event nonsense/);
  });

  it('writes every event of the server to audit.file as a JSON line with its event id, the first key generated at start too', async () => {
    const file = lines(await readFile(join(gh.dir, 'audit', 'events.jsonl'), 'utf8'));
    assert.deepEqual(file.filter((e) => e.type === 'key.generated').map((e) => [e.eventId, e.outcome]), [[8100, 'success']]);
    assert.deepEqual(file.filter((e) => e.type === 'signin' || e.type === 'token.issued').map((e) => [e.eventId, e.type, e.outcome]), [[8001, 'signin', 'failure'], [8001, 'signin', 'failure'], [8000, 'signin', 'success'], [8010, 'token.issued', 'success']]);
  });

  it('tails the latest events and, with -f, prints one recorded afterwards by the server', async () => {
    const last = await audit('tail', '-n', '2', '--json');
    assert.deepEqual(lines(last.stdout).map((e) => e.type), ['signin', 'token.issued']);
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'audit', 'tail', '-f', '-n', '1', '--event', 'signin', '--interval', '1', '-c', join(gh.dir, 'gatehouse.yaml')], { cwd: root });
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      const seen = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`tail -f printed no ${pattern}: ${out}`)), 20_000);
        const check = () => {
          if (pattern.test(out)) {
            clearTimeout(timer);
            resolve();
          } else setTimeout(check, 100);
        };
        check();
      });
      await seen(/ 8000 signin success alice@corp\.example\.com/);
      await postLogin(new WebClient([gh.tlsCertPem]), gh.url, 'alice@corp.example.com', 'nope');
      await seen(/ 8001 signin failure alice@corp\.example\.com[^\n]*\n$/);
      assert.doesNotMatch(out, /token\.issued/, 'the filter holds while following');
    } finally {
      child.kill();
    }
  });
});
