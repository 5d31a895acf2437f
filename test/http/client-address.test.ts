import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sqliteStore } from '../../store/sqlite/index.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, readForm, WebClient } from '../support/web-client.js';

const user = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };

/** Signs in with a forged X-Forwarded-For; returns the audited client IP and the insidecorporatenetwork claim. */
async function signInFrom(gh: RunningTestGatehouse, forwardedFor: string) {
  const res = await postLogin(new WebClient([gh.tlsCertPem], { 'x-forwarded-for': forwardedFor }), gh.url, user.upn, user.password);
  const wresult = readForm(await res.text()).fields.wresult!;
  const inside = /AttributeName="insidecorporatenetwork"[^>]*><saml:AttributeValue>(\w+)</.exec(wresult)![1];
  await gh.runtime.audit.flush();
  const store = sqliteStore(gh.config.store.sqlitePath);
  const [event] = await store.audit.recent(1, { type: 'signin' });
  await store.close();
  return { ip: event!.clientIp, inside };
}

describe('client address behind a load balancer', () => {
  let direct: RunningTestGatehouse;
  let proxied: RunningTestGatehouse;
  before(async () => {
    direct = await startTestGatehouse({ directory: { users: [user] }, extra: { corporateNetwork: ['10.0.0.0/8'] } });
    proxied = await startTestGatehouse({
      directory: { users: [user] },
      extra: { corporateNetwork: ['10.0.0.0/8'], server: { trustedProxies: ['127.0.0.1'] } },
    });
  });
  after(async () => {
    await direct.stop();
    await proxied.stop();
  });

  it('ignores X-Forwarded-For from a client that is not a configured proxy', async () => {
    assert.deepEqual(await signInFrom(direct, '10.9.9.9'), { ip: '127.0.0.1', inside: 'false' });
  });

  it('believes the configured proxy, taking the address it saw, not one the client prepended', async () => {
    assert.deepEqual(await signInFrom(proxied, '10.9.9.9'), { ip: '10.9.9.9', inside: 'true' });
    assert.deepEqual(await signInFrom(proxied, '10.9.9.9, 203.0.113.7'), { ip: '203.0.113.7', inside: 'false' });
  });
});
