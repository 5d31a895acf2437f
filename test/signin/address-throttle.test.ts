import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sqliteStore } from '../../store/sqlite/index.js';
import { getTestBed } from '../ad/testbed.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { readForm, WebClient } from '../support/web-client.js';

/*
 * The per-address throttle (rateLimit.failedPerAddress) under concurrency: a burst of wrong
 * passwords sent at once from one address must not get past the bound because each was checked
 * before any of them failed. Every login form is fetched first, then all posts are fired together
 * against Samba; what reached the directory is what the pipeline audited as a sign-in.
 */

const LIMIT = 5;
const BURST = 40;
const ADDRESS = '203.0.113.77';
const ENTRA_SIGNIN = '/adfs/ls/?wa=wsignin1.0&wtrealm=urn%3afederation%3aMicrosoftOnline&wctx=x';

describe('the per-address throttle under a parallel burst', () => {
  let gh: RunningTestGatehouse;
  before(async () => {
    const bed = await getTestBed();
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      extra: { server: { trustedProxies: ['127.0.0.1'] }, rateLimit: { failedPerAddress: LIMIT, failedWindowMinutes: 15 } },
    });
  });
  after(async () => {
    await gh?.stop();
  });

  const forms = async (ip: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const client = new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': ip });
        const { action, fields } = readForm(await (await client.get(new URL(ENTRA_SIGNIN, gh.url).href)).text());
        return { client, url: new URL(action, gh.url).href, fields };
      }),
    );
  const signins = async (ip: string) => {
    const store = sqliteStore(gh.config.store.sqlitePath);
    try {
      return (await store.audit.recent(10_000, { type: 'signin' })).filter((e) => e.clientIp === ip);
    } finally {
      await store.close();
    }
  };

  it('lets at most failedPerAddress wrong passwords of a simultaneous burst reach the directory', async () => {
    const run = randomBytes(3).toString('hex');
    const ready = await forms(ADDRESS, BURST);
    const answers = await Promise.all(ready.map((f, i) => f.client.post(f.url, { ...f.fields, UserName: `nobody-${run}-${i}@corp.example.com`, Password: `Guess${i}!` })));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 429).length, BURST - LIMIT, `statuses: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 200).length, LIMIT);
    const asked = await signins(ADDRESS);
    assert.equal(asked.length, LIMIT, 'only failedPerAddress attempts were checked against AD');
    assert.ok(asked.every((e) => e.outcome === 'failure'));
  });

  it('gives the place of a request back when it ends, so right passwords in flight do not use up the bound', async () => {
    const ip = '203.0.113.78';
    // Two bursts of LIMIT right passwords each: had the places been kept, the second would be throttled.
    for (let round = 0; round < 2; round++) {
      const ready = await forms(ip, LIMIT);
      const answers = await Promise.all(ready.map((f) => f.client.post(f.url, { ...f.fields, UserName: 'alice@corp.example.com', Password: 'Passw0rd!' })));
      for (const a of answers) assert.match(await a.text(), /name="wresult"/);
    }
    // The bound still holds for failures after them.
    const ready = await forms(ip, LIMIT + 3);
    const answers = await Promise.all(ready.map((f, i) => f.client.post(f.url, { ...f.fields, UserName: `nobody-${i}@corp.example.com`, Password: 'x' })));
    assert.equal(answers.filter((a) => a.status === 429).length, 3);
  });
});
