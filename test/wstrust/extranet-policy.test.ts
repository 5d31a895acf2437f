import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { sqliteStore } from '../../store/sqlite/index.js';
import { USERNAME_13 } from '../../sts/protocols/wstrust/versions.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { rst } from './rst.js';

const user = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };

async function requestToken(gh: RunningTestGatehouse) {
  const to = `${gh.url}${USERNAME_13.path}`;
  const res = await fetch(to, {
    method: 'POST',
    headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
    body: rst('msal-python-13', { to, username: user.upn, password: user.password }),
    dispatcher: new Agent({ connect: { ca: gh.tlsCertPem } }),
  });
  return { status: res.status, text: await res.text() };
}

describe('WS-Trust extranet policy (AD FS: deny rich clients from outside the corporate network)', () => {
  let inside: RunningTestGatehouse;
  let outside: RunningTestGatehouse;
  before(async () => {
    // The client is 127.0.0.1: inside when loopback is a corporate range, on the extranet otherwise.
    inside = await startTestGatehouse({ directory: { users: [user] }, extra: { corporateNetwork: ['127.0.0.0/8'], entra: { allowWsTrustFromExtranet: false } } });
    outside = await startTestGatehouse({ directory: { users: [user] }, extra: { corporateNetwork: ['10.0.0.0/8'], entra: { allowWsTrustFromExtranet: false } } });
  });
  after(async () => {
    await inside.stop();
    await outside.stop();
  });

  it('issues a token to a client inside the corporate network', async () => {
    const res = await requestToken(inside);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /RequestSecurityTokenResponseCollection/);
  });

  it('refuses an extranet client before checking its password, with a fault and an audit event', async () => {
    const res = await requestToken(outside);
    assert.equal(res.status, 500);
    assert.match(res.text, /<s:Reason><s:Text[^>]*>MSIS3127/);
    await outside.runtime.audit.flush();
    const store = sqliteStore(outside.config.store.sqlitePath);
    const rejected = await store.audit.recent(10, { type: 'request.rejected' });
    const signins = await store.audit.recent(10, { type: 'signin' });
    await store.close();
    assert.equal(rejected[0]?.reason, 'wstrust-extranet-denied');
    assert.equal(signins.length, 0, 'the password was never tried');
  });
});
