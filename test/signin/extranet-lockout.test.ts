import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sqliteStore } from '../../store/sqlite/index.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';

const users = [
  { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' },
  { upn: 'bob@corp.example.com', password: 'Passw0rd!', objectGuid: '0f0e0d0c-0b0a-0908-0706-050403020100' },
];

async function attempt(gh: RunningTestGatehouse, upn: string, password: string): Promise<string> {
  return (await postLogin(new WebClient([gh.tlsCertPem]), gh.url, upn, password)).text();
}

describe('extranet lockout (AD FS: refuse a sprayed account before AD locks it)', () => {
  let extranet: RunningTestGatehouse;
  let intranet: RunningTestGatehouse;
  before(async () => {
    const lockout = { extranetThreshold: 3, observationWindowMinutes: 30 };
    extranet = await startTestGatehouse({ directory: { users }, extra: { lockout } });
    intranet = await startTestGatehouse({ directory: { users }, extra: { lockout, corporateNetwork: ['127.0.0.0/8'] } });
  });
  after(async () => {
    await extranet.stop();
    await intranet.stop();
  });

  it('refuses even the right password from the extranet after the threshold, looking like a wrong one', async () => {
    for (let i = 0; i < 3; i++) assert.match(await attempt(extranet, 'alice@corp.example.com', `guess-${i}`), /Incorrect user ID or password/);
    const html = await attempt(extranet, 'alice@corp.example.com', 'Passw0rd!');
    assert.match(html, /Incorrect user ID or password/);
    assert.doesNotMatch(html, /wresult/);
    await extranet.runtime.audit.flush();
    const store = sqliteStore(extranet.config.store.sqlitePath);
    const [last] = await store.audit.recent(1, { type: 'signin' });
    await store.close();
    assert.equal(last?.reason, 'extranet-lockout');
    assert.match(await attempt(extranet, 'bob@corp.example.com', 'Passw0rd!'), /wresult/, 'other users are not affected');
  });

  it('forgets failures after a success below the threshold', async () => {
    for (let i = 0; i < 2; i++) await attempt(extranet, 'bob@corp.example.com', `guess-${i}`);
    assert.match(await attempt(extranet, 'bob@corp.example.com', 'Passw0rd!'), /wresult/);
    for (let i = 0; i < 2; i++) await attempt(extranet, 'bob@corp.example.com', `again-${i}`);
    assert.match(await attempt(extranet, 'bob@corp.example.com', 'Passw0rd!'), /wresult/);
  });

  it('leaves attempts from inside the corporate network to AD alone', async () => {
    for (let i = 0; i < 4; i++) await attempt(intranet, 'alice@corp.example.com', `guess-${i}`);
    assert.match(await attempt(intranet, 'alice@corp.example.com', 'Passw0rd!'), /wresult/);
  });
});
