import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChildGatehouse } from '../fuzz/child-gatehouse.js';
import { adminClient, total } from '../support/admin-client.js';
import { freePort } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';
import { signInAudits, spawnCluster, USER, waitFor } from './cluster-child.js';

// The admin listener of `gatehouse serve` with two workers (the built CLI, node:cluster): every
// worker listens on the one admin port and the primary hands each connection to one of them, so
// each scrape on a fresh connection may land on either. Each must answer for the whole server.
const TOKEN = 'cluster-admin-token-0123456789abcdef0123';
/** Password sign-ins (each a token) and wrong passwords (each a refusal), spread over fresh connections. */
const SIGN_INS = 10;
const WRONG = 4;
/** Fresh admin connections per check: the primary deals connections to the workers in turn, so these reach both. */
const CONNECTIONS = 6;
let gh: ChildGatehouse;
let adminPort: number;

/** Pids of the workers that audited a sign-in with `outcome`, and how many each (pino writes each process's pid). */
function auditedBy(outcome: 'success' | 'failure'): Map<number, number> {
  const by = new Map<number, number>();
  for (const e of signInAudits(gh)) if (e.outcome === outcome) by.set(e.pid, (by.get(e.pid) ?? 0) + 1);
  return by;
}

/** `fn` with an admin client on a connection of its own (a new agent), closed after. */
async function onFreshConnection<T>(token: string | undefined, fn: (c: ReturnType<typeof adminClient>) => Promise<T>): Promise<T> {
  const c = adminClient(adminPort, gh.tlsCertPem, token);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

before(async () => {
  adminPort = await freePort();
  gh = await spawnCluster({ admin: { enabled: true, host: '127.0.0.1', port: adminPort, token: TOKEN } });
  // A sign-in is two connections (the form, then its post), so one request more before every
  // other sign-in moves its post to the other worker.
  const shift = async (i: number) => {
    if (i % 2 === 1) assert.equal((await new WebClient([gh.tlsCertPem]).get(`${gh.url}/adfs/probe`)).status, 200);
  };
  for (let i = 0; i < SIGN_INS; i++) {
    await shift(i);
    assert.match(await (await postLogin(new WebClient([gh.tlsCertPem]), gh.url, USER.upn, USER.password)).text(), /name="wresult"/, `sign-in ${i}`);
  }
  for (let i = 0; i < WRONG; i++) {
    await shift(i);
    assert.match(await (await postLogin(new WebClient([gh.tlsCertPem]), gh.url, USER.upn, 'not-the-password')).text(), /Incorrect user ID or password/, `wrong password ${i}`);
  }
  await waitFor(gh, 'every sign-in audited', () => [...auditedBy('success').values()].reduce((a, b) => a + b, 0) === SIGN_INS && [...auditedBy('failure').values()].reduce((a, b) => a + b, 0) === WRONG);
});

after(async () => {
  await gh?.stop();
});

describe('the admin listener of gatehouse serve with two workers', () => {
  it('had the sign-ins served by both workers, so no one worker counted them all', () => {
    for (const [outcome, n] of [['success', SIGN_INS], ['failure', WRONG]] as const) {
      const by = auditedBy(outcome);
      assert.equal(by.size, 2, `${outcome} by worker: ${JSON.stringify([...by])}`);
      for (const count of by.values()) assert.ok(count < n);
    }
  });

  it('scrapes the sum of both workers on every connection', async () => {
    for (let i = 0; i < CONNECTIONS; i++) {
      const samples = await onFreshConnection(TOKEN, (c) => c.scrape());
      assert.equal(total(samples, 'gatehouse_token_requests_total', { result: 'success' }), SIGN_INS, `tokens issued, scrape ${i}`);
      assert.equal(total(samples, 'gatehouse_token_requests_total', { result: 'failure' }), WRONG, `refusals, scrape ${i}`);
      assert.equal(total(samples, 'gatehouse_signin_failures_total', { reason: 'bad-password' }), WRONG, `bad passwords, scrape ${i}`);
      assert.equal(total(samples, 'gatehouse_signin_duration_seconds_count', { outcome: 'authenticated' }), SIGN_INS, `pipeline runs timed, scrape ${i}`);
      // Read from the shared store once, not once per worker.
      assert.equal(total(samples, 'gatehouse_sessions_active'), SIGN_INS, `active sessions, scrape ${i}`);
    }
  });

  it('still refuses every admin path without the token, on every worker', async () => {
    for (let i = 0; i < CONNECTIONS; i++) {
      for (const path of ['/metrics', '/health', '/']) {
        const none = await onFreshConnection(undefined, (c) => c.get(path));
        assert.equal(none.status, 401, `${path} without a token, connection ${i}`);
        assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="gatehouse-admin"/);
        assert.doesNotMatch(none.text, /gatehouse_/);
        const wrong = await onFreshConnection(`${TOKEN}x`, (c) => c.get(path));
        assert.equal(wrong.status, 401, `${path} with a wrong token, connection ${i}`);
      }
    }
  });

  it('shows every worker’s tokens and failures on the health page and the same /health, on every connection', async () => {
    // At once, before the workers' own ten-second history flush: the page has every worker write first.
    const states = new Set<string>();
    for (let i = 0; i < CONNECTIONS; i++) {
      const page = await onFreshConnection(TOKEN, (c) => c.get('/'));
      assert.equal(page.status, 200);
      assert.match(page.text, new RegExp(`Tokens issued</strong> <span class="muted">${SIGN_INS} in 24 h`), `tokens chart, connection ${i}`);
      assert.match(page.text, new RegExp(`Failed sign-ins</strong> <span class="muted">${WRONG} in 24 h`), `failures chart, connection ${i}`);
      const health = await onFreshConnection(TOKEN, (c) => c.get('/health'));
      const json = JSON.parse(health.text) as { ok: boolean; checks: { part: string; status: string }[] };
      states.add(JSON.stringify([health.status, json.ok, json.checks.map((c) => [c.part, c.status])]));
    }
    assert.equal(states.size, 1, `/health differed between workers: ${[...states].join('\n')}`);
  });
});
