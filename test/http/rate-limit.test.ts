import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sqliteStore } from '../../store/sqlite/index.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { ENTRA_SIGNIN, postLogin, WebClient } from '../support/web-client.js';
import { httpsRequest } from '../entra/https-client.js';
import { fault } from '../wstrust/client.js';
import { rst } from '../wstrust/rst.js';
import { USERNAME_13 } from '../../sts/protocols/wstrust/versions.js';

const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };

const soap = (gh: RunningTestGatehouse, body: string, clientIp: string) =>
  httpsRequest(`${gh.url}${USERNAME_13.path}`, { method: 'POST', ca: gh.tlsCertPem, headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', 'X-Forwarded-For': clientIp }, body, timeoutMs: 20_000 });

describe('per-address bound on credential-bearing requests (rateLimit.perAddressPerMinute)', () => {
  let gh: RunningTestGatehouse;
  before(async () => {
    // The test's requests come through "a load balancer" at 127.0.0.1, so X-Forwarded-For names the
    // client. Its many wrong passwords must not also lock alice out (extranet lockout off).
    gh = await startTestGatehouse({ directory: { users: [alice] }, extra: { rateLimit: { perAddressPerMinute: 3 }, server: { trustedProxies: ['127.0.0.1'] }, lockout: { extranetThreshold: 0 } } });
  });
  after(() => gh.stop());

  const loginPost = (client: WebClient) => postLogin(client, gh.url, alice.upn, 'wrong');

  it('answers the fourth login post of a minute from one address 429 with Retry-After and a page, audited once', async () => {
    const client = new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': '198.51.100.7' });
    for (let i = 0; i < 3; i++) assert.equal((await loginPost(client)).status, 200);
    for (let i = 0; i < 2; i++) {
      const refused = await loginPost(client);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('retry-after'), '60');
      assert.match(await refused.text(), /Too many attempts/);
    }
    assert.equal((await client.get(`${gh.url}${ENTRA_SIGNIN}`)).status, 200, 'pages are not counted, only posts');
    await gh.runtime.audit.flush();
    const store = sqliteStore(gh.config.store.sqlitePath);
    try {
      const rejected = (await store.audit.recent(20, { type: 'request.rejected' })).filter((e) => e.reason === 'rate-limited' && e.clientIp === '198.51.100.7');
      assert.equal(rejected.length, 1, 'one audit event for the flood, not one per request');
      const signins = (await store.audit.recent(20, { type: 'signin' })).filter((e) => e.clientIp === '198.51.100.7');
      assert.equal(signins.length, 3, 'refused posts never reached the password check');
    } finally {
      await store.close();
    }
  });

  it('counts WS-Trust with the forms and answers it with a SOAP fault and 429', async () => {
    const client = new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': '198.51.100.8' });
    for (let i = 0; i < 3; i++) assert.equal((await loginPost(client)).status, 200);
    const body = rst('msal-python-13', { username: alice.upn, password: alice.password, to: `${gh.url}${USERNAME_13.path}` });
    const res = await soap(gh, body, '198.51.100.8');
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '60');
    assert.equal(fault(res.text).subcode, 'a:RequestFailed');
  });

  it('counts an IPv6 client by its /64, which one client can fill with addresses', async () => {
    for (let i = 1; i <= 3; i++) assert.equal((await loginPost(new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': `2001:db8:7:7::${i}` }))).status, 200);
    assert.equal((await loginPost(new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': '2001:db8:7:7:ffff:1:2:3' }))).status, 429, 'another address of the same /64');
    assert.equal((await loginPost(new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': '2001:db8:7:8::1' }))).status, 200, 'the next /64 is another client');
  });

  it('leaves other addresses alone', async () => {
    const other = new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': '203.0.113.9' });
    assert.equal((await loginPost(other)).status, 200);
    const res = await soap(gh, rst('msal-python-13', { username: alice.upn, password: alice.password, to: `${gh.url}${USERNAME_13.path}` }), '203.0.113.10');
    assert.equal(res.status, 200, res.text);
  });
});
