import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { sambaObjectGuidBase64 } from '../directory/helpers.js';
import { testBedDirectory } from '../support/gatehouse.js';
import { readForm } from '../support/web-client.js';
import { spawnGatehouse, throwawayKek, type ChildGatehouse } from './child-gatehouse.js';
import { APP, APP_REPLIES, ENTRA, ENTRA_REPLY, TRUSTS } from './inputs.js';
import { mutatedLogin } from './mutate-form.js';
import { mutatedRst } from './mutate-rst.js';
import { judgeLogin, judgeRst, type Expected, type Verdict } from './oracle.js';
import { iterationRng, runSeed, type Rng } from './prng.js';
import { CookieJar, headerValue, Wire, type Answer } from './wire.js';

/*
 * A seeded mutation fuzzer against the built server as users run it (`gatehouse serve` in a child
 * process, LDAPS to the Samba test bed). Rerun a failure with the seed its message prints:
 *   GATEHOUSE_FUZZ_SEED=<seed> node --import tsx --test test/fuzz/mutated-requests.test.ts
 * Each iteration's mutations come from (seed, iteration) alone, so they repeat whatever order the
 * concurrent requests finish in; only the clock and random ids in the valid message differ.
 * GATEHOUSE_FUZZ_DUMP=<file> appends every iteration (mutations, input, outcome) to a JSON-lines file.
 */
const ITERATIONS = 2000;
/** Requests in flight: enough to keep the server busy while LDAP binds are out, few enough for 2 cores. */
const CONCURRENCY = 4;
const SHOWN_INPUT = 1500;
const seed = runSeed();

let bed: TestBed;
let gh: ChildGatehouse;
let wire: Wire;
let expected: Expected;
/** A valid CSRF token issued to another browser. */
let foreignCsrf: string;
const SSO_COOKIE = '__Host-gatehouse_sso';

interface Iteration extends Verdict {
  i: number;
  steps: string[];
  input: string;
}

const loginUrl = (params: Record<string, string>) => `/adfs/ls/?${new URLSearchParams({ wa: 'wsignin1.0', ...params })}`;
const shown = (s: string) => (s.length > SHOWN_INPUT ? `${s.slice(0, SHOWN_INPUT)}… (${s.length} characters)` : s);

async function send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer | string> {
  try {
    return await wire.send(method, path, headers, body);
  } catch (err) {
    return `${method} failed: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`;
  }
}

/** Runs `one` for every iteration, CONCURRENCY at a time; stops early once the server has exited. */
async function fuzz(stream: number, one: (rng: Rng, i: number) => Promise<Iteration>): Promise<{ results: Iteration[]; inFlightAtExit: number[] }> {
  const results: Iteration[] = [];
  const dump = process.env.GATEHOUSE_FUZZ_DUMP;
  const inFlight = new Set<number>();
  let inFlightAtExit: number[] = [];
  gh.process.once('exit', () => { inFlightAtExit = [...inFlight]; });
  let next = 0;
  const worker = async () => {
    while (next < ITERATIONS && !gh.exit) {
      const i = next++;
      inFlight.add(i);
      const r = await one(iterationRng(seed, stream, i), i).catch((err: unknown): Iteration => ({
        i, steps: [], input: '', outcome: 'fuzzer error', problem: `the fuzzer itself failed: ${(err as Error).stack ?? String(err)}`,
      }));
      results.push(r);
      if (dump) await appendFile(dump, `${JSON.stringify({ stream, ...r, input: shown(r.input) })}\n`);
      inFlight.delete(i);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { results, inFlightAtExit };
}

/** The tally, the crash check and the first failures, with what it takes to repeat them. */
async function report(t: TestContext, name: string, run: { results: Iteration[]; inFlightAtExit: number[] }, started: { at: number; log: number }): Promise<void> {
  const tally = new Map<string, number>();
  for (const r of run.results) tally.set(r.outcome, (tally.get(r.outcome) ?? 0) + 1);
  const counts = [...tally].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ');
  t.diagnostic(`${name}: ${run.results.length} iterations in ${((Date.now() - started.at) / 1000).toFixed(1)} s, seed ${seed}; ${counts}`);
  // The server's own error log lines (pino level ≥ 50) during the run: not failures by themselves, but worth a look.
  const errors = gh.stdout().slice(started.log).split('\n').filter((l) => /"level":(5|6)\d/.test(l));
  if (errors.length) t.diagnostic(`${name}: the server logged ${errors.length} errors, e.g. ${errors.slice(0, 3).map((l) => l.slice(0, 300)).join(' / ')}`);

  const rerun = `GATEHOUSE_FUZZ_SEED=${seed} node --import tsx --test test/fuzz/mutated-requests.test.ts`;
  const failures = run.results.filter((r) => r.problem).sort((a, b) => a.i - b.i);
  const explain = (r: Iteration) => `iteration ${r.i}: ${r.problem}\n  mutations: ${r.steps.join(' | ')}\n  input: ${JSON.stringify(shown(r.input))}`;
  assert.equal(gh.exit, undefined, `the server exited ${JSON.stringify(gh.exit)} (seed ${seed}; iterations in flight: ${run.inFlightAtExit.join(', ')}; rerun: ${rerun})\nstderr: ${gh.stderr().slice(-3000)}\n${failures.slice(0, 3).map(explain).join('\n')}`);
  assert.equal(failures.length, 0, `${failures.length} of ${run.results.length} mutations misbehaved (seed ${seed}; rerun: ${rerun}); the first:\n${failures.slice(0, 3).map(explain).join('\n')}`);
  const probe = await send('GET', '/adfs/probe', {});
  assert.equal(typeof probe === 'string' ? probe : probe.status, 200, `the server answers its probe after the run (seed ${seed})`);
  assert.doesNotMatch(gh.stderr(), /uncaught|unhandled|\bat .*\(.*:\d+:\d+\)/i, `the server's stderr (seed ${seed}):\n${gh.stderr().slice(-3000)}`);
  // A meaningful share must get past the parser to the directory and the token service.
  assert.ok((tally.get('token') ?? 0) >= run.results.length * 0.1, `at least 10% of mutations still get a token (${counts})`);
}

describe('mutation fuzzing of `gatehouse serve` (child process, Samba AD directory)', () => {
  before(async () => {
    bed = await getTestBed();
    const alice = bed.users.alice;
    assert.ok(alice, 'fixture user alice');
    gh = await spawnGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      federation: { domains: [{ name: bed.realm }] },
      keys: { keyEncryptionKey: throwawayKek() },
      store: { kind: 'sqlite', sqlitePath: 'gatehouse.db' },
      entra: { replyUrl: ENTRA_REPLY },
      trusts: [{ identifier: APP, name: 'Fuzzed app', replyUrls: [...APP_REPLIES], ruleSet: 'mapped', nameIdAttribute: 'upn', claims: [{ attribute: 'upn', claimType: 'http://schemas.xmlsoap.org/claims/UPN' }] }],
      // Thousands of wrong passwords for alice from one address: neither the extranet lockout
      // nor the per-address rate limit nor the failed-password throttle may turn the run into a run of refusals.
      lockout: { extranetThreshold: 0 },
      rateLimit: { perAddressPerMinute: 0, failedPerAddress: 0 },
      log: { level: 'warn' },
    });
    wire = new Wire(gh.url, gh.tlsCertPem, CONCURRENCY);
    // One real sign-in first: the baseline works, and its SSO cookie is there to replay and tamper with.
    const jar = new CookieJar();
    const page = await wire.send('GET', loginUrl({ wtrealm: ENTRA }), jar.headers());
    jar.take(page.setCookies);
    const form = readForm(page.body);
    const signIn = await wire.send('POST', form.action, { ...jar.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      Buffer.from(new URLSearchParams({ ...form.fields, UserName: alice.upn, Password: alice.password }).toString()));
    jar.take(signIn.setCookies);
    const sso = jar.get(SSO_COOKIE);
    assert.ok(sso && /name="wresult"/.test(signIn.body), `alice signs in with the unmutated form: ${signIn.status} ${signIn.body.slice(0, 300)}`);
    expected = { t: { alice, netbios: bed.netbios }, immutableId: (await sambaObjectGuidBase64(bed, alice.sam)).base64, ssoCookie: { name: SSO_COOKIE, value: sso } };
    const other = new CookieJar();
    foreignCsrf = readForm((await wire.send('GET', loginUrl({ wtrealm: ENTRA }), other.headers())).body).fields.csrf_token ?? '';
    assert.ok(foreignCsrf, 'the login page has a CSRF token');
  });
  after(async () => {
    await wire?.close();
    await gh?.stop();
  });

  it(`${ITERATIONS.toLocaleString('en')} mutated RSTs (1.3, and 2005 for a third): no 5xx but SOAP faults, no token for a changed user or password, AppliesTo always a configured trust, server alive`, async (t) => {
    const started = { at: Date.now(), log: gh.stdout().length };
    const run = await fuzz(1, async (rng, i) => {
      const c = mutatedRst(rng, expected.t, gh.url, new Date());
      const a = await send('POST', c.path, { 'content-type': c.contentType }, c.body);
      const input = `POST ${c.path}\n${c.body.toString('utf8')}`;
      const verdict: Verdict = typeof a === 'string' ? { outcome: 'no answer', problem: a } : judgeRst(expected, c.body, a);
      return { i, steps: c.steps, input, ...verdict };
    });
    await report(t, 'WS-Trust', run, started);
  });

  it(`${ITERATIONS.toLocaleString('en')} mutated login posts: no 5xx, no token for a changed user, password, CSRF token or cookie, tokens only to the trust's reply URLs, server alive`, async (t) => {
    const started = { at: Date.now(), log: gh.stdout().length };
    const run = await fuzz(2, async (rng, i) => {
      const jar = new CookieJar();
      const realm = rng.chance(0.5) ? ENTRA : APP;
      const params = { wtrealm: realm, ...(rng.chance(0.3) ? { wreply: rng.pick(TRUSTS[realm]!) } : {}), ...(rng.chance(0.3) ? { wctx: `LoginOptions=3&estsrequest=${rng.hex(16)}` } : {}) };
      const page = await send('GET', loginUrl(params), jar.headers());
      if (typeof page === 'string' || page.status !== 200) {
        return { i, steps: [], input: loginUrl(params), outcome: 'no login page', problem: typeof page === 'string' ? page : `login page answered ${page.status}` };
      }
      jar.take(page.setCookies);
      const form = readForm(page.body);
      const c = mutatedLogin(rng, expected.t, form, jar.header(), { foreignCsrf, ssoCookie: `${SSO_COOKIE}=${expected.ssoCookie.value}` });
      const cookie = headerValue(c.cookie);
      const headers = { ...(cookie ? { cookie } : {}), ...(c.contentType ? { 'content-type': c.contentType } : {}) };
      const input = `POST ${c.path}\nCookie: ${cookie}\nContent-Type: ${c.contentType}\n\n${c.body.toString('utf8')}`;
      const post = { body: c.body, cookie, csrfToken: form.fields.csrf_token ?? '', csrfCookie: jar.get('__Host-gatehouse_csrf') ?? '' };
      const a = await send('POST', c.path, headers, c.body);
      if (typeof a === 'string') return { i, steps: c.steps, input, outcome: 'no answer', problem: a };
      let verdict = judgeLogin(expected, post, a);
      if (c.replay && !verdict.problem) {
        const again = await send('POST', c.path, headers, c.body);
        const second = typeof again === 'string' ? { outcome: 'no answer', problem: again } : judgeLogin(expected, post, again, true);
        if (second.problem) verdict = { outcome: verdict.outcome, problem: `second post: ${second.problem}` };
      }
      return { i, steps: c.steps, input, ...verdict };
    });
    await report(t, 'login', run, started);
  });
});
