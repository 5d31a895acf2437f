import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { ChildGatehouse } from '../fuzz/child-gatehouse.js';
import { ENTRA_SIGNIN, postLogin, WebClient } from '../support/web-client.js';
import { signInAudits, spawnCluster, USER, waitFor as waitForIn } from './cluster-child.js';

// `gatehouse serve` with server.workers 2, as users run it (the built CLI, node:cluster): both
// workers serve, SSO made on one works on the other (state only in the store), the probe waits
// for every worker, a killed worker is replaced, SIGHUP restarts them in turn, SIGTERM stops all.
let gh: ChildGatehouse;

/** The pids of the primary's children: its workers. */
function workerPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(gh.process.pid)], { encoding: 'utf8' });
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0).sort();
}

/** The pids of the workers that audited a successful sign-in of `user`. */
function auditPids(user: string): Set<number> {
  return new Set(signInAudits(gh).filter((e) => e.outcome === 'success' && e.user === user).map((e) => e.pid));
}

/** A browser on a new TLS connection (the primary hands each connection to a worker in turn) with `from`'s cookies. */
function freshConnection(from: WebClient): WebClient {
  const client = new WebClient([gh.tlsCertPem]);
  for (const [host, cookies] of from.jar) client.jar.set(host, new Map(cookies));
  return client;
}

async function probe(): Promise<number> {
  const res = await new WebClient([gh.tlsCertPem]).get(`${gh.url}/adfs/probe`).catch(() => undefined);
  return res?.status ?? 0;
}

const waitFor = (what: string, condition: () => boolean | Promise<boolean>, ms?: number) => waitForIn(gh, what, condition, ms);

before(async () => {
  gh = await spawnCluster();
});

after(async () => {
  await gh?.stop();
});

describe('gatehouse serve with two workers', () => {
  it('runs two workers that both sign users in, and SSO from one works on the other', async () => {
    assert.equal(workerPids().length, 2);
    const browser = new WebClient([gh.tlsCertPem]);
    assert.match(await (await postLogin(browser, gh.url, USER.upn, USER.password)).text(), /name="wresult"/);
    for (let i = 0; i < 12; i++) {
      const page = await (await freshConnection(browser).get(`${gh.url}${ENTRA_SIGNIN}`)).text();
      assert.match(page, /name="wresult"/, `SSO token on connection ${i}`);
    }
    await waitFor('both workers issued tokens', () => auditPids(USER.upn).size === 2, 5000);
    assert.deepEqual([...auditPids(USER.upn)].sort(), workerPids());
  });

  it('replaces a killed worker, and the probe answers 503 until the replacement is ready', async () => {
    const [victim, survivor] = workerPids();
    process.kill(victim!, 'SIGKILL');
    // Until the primary has seen the exit it may still hand a connection to the dead worker.
    await waitFor('the primary noticed', () => gh.stdout().includes('worker died; starting another'), 10_000);
    await waitFor('the probe answered 503 while a worker was missing', async () => (await probe()) === 503, 10_000);
    await waitFor('a replacement worker and the probe 200 again', async () => workerPids().length === 2 && (await probe()) === 200);
    const now = workerPids();
    assert.ok(now.includes(survivor!) && !now.includes(victim!), `workers ${now.join(', ')} after killing ${victim}`);
    assert.match(gh.stdout(), /worker died; starting another/);
  });

  it('restarts the workers one at a time on SIGHUP, the probe ready again with two new workers', async () => {
    const before = workerPids();
    gh.process.kill('SIGHUP');
    await waitFor('two new workers', async () => {
      const now = workerPids();
      return now.length === 2 && now.every((pid) => !before.includes(pid)) && (await probe()) === 200;
    });
    assert.match(gh.stdout(), /workers restarted/);
    const browser = new WebClient([gh.tlsCertPem]);
    assert.match(await (await postLogin(browser, gh.url, USER.upn, USER.password)).text(), /name="wresult"/, 'the new workers serve');
  });

  it('stops every worker gracefully on SIGTERM and exits 0', async () => {
    const workers = workerPids();
    const exited = new Promise<number | null>((resolve) => gh.process.once('exit', (code) => resolve(code)));
    gh.process.kill('SIGTERM');
    assert.equal(await exited, 0);
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), 'worker is gone');
    assert.equal(gh.stdout().split('\n').filter((l) => l.includes('"msg":"stopped"')).length >= 2, true, 'each worker closed its listener');
  });
});
