import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { createLogger } from '../../health/log.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { postLogin, WebClient } from '../support/web-client.js';

const password = 'S3cret-Only-Alice-Knows!';
const user = { upn: 'alice@corp.example.com', password, objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };

describe('HTTPS server', () => {
  let gh: RunningTestGatehouse;
  let logText = '';
  before(async () => {
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logText += chunk.toString()), done()) });
    gh = await startTestGatehouse({ directory: { users: [user] }, log: createLogger('trace', sink) });
  });
  after(() => gh.stop());

  it('answers the AD FS probe with 200 once ready, with helmet’s headers', async () => {
    const res = await fetch(`${gh.url}/adfs/probe`, { dispatcher: new Agent({ connect: { ca: gh.tlsCertPem } }) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('strict-transport-security'));
    assert.equal(res.headers.get('x-powered-by'), null);
  });

  it('treats a cookie that is not valid percent-encoding as absent, not as an error', async () => {
    const res = await fetch(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=urn:federation:MicrosoftOnline`, {
      headers: { cookie: '__Host-gatehouse_sso=%; __Host-gatehouse_csrf=%E0%A4%A' },
      dispatcher: new Agent({ connect: { ca: gh.tlsCertPem } }),
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /name="Password"/);
  });

  it('never writes a password into the log, whether the sign-in fails or succeeds', async () => {
    const client = new WebClient([gh.tlsCertPem]);
    for (const pw of ['wrong-but-secret-too', password]) {
      await postLogin(client, gh.url, user.upn, pw);
    }
    assert.match(logText, /audit signin failure/);
    assert.match(logText, /audit signin success/);
    assert.ok(!logText.includes(password) && !logText.includes('wrong-but-secret-too'));
  });

  it('lets a request in flight finish on shutdown, then stops listening', async () => {
    // A POST whose body is still coming when shutdown starts: the server has its headers, so it is in flight.
    let finishBody!: () => void;
    const rest = new Promise<void>((resolve) => (finishBody = resolve));
    async function* body() {
      yield Buffer.from('UserName=alice%40corp.example.com&');
      await rest;
      yield Buffer.from('Password=x');
    }
    const received = new Promise((resolve) => gh.server.once('request', resolve));
    const inFlight = fetch(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=urn:federation:MicrosoftOnline`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body(),
      duplex: 'half',
      dispatcher: new Agent({ connect: { ca: gh.tlsCertPem } }),
    });
    await received;
    const stopping = gh.stop();
    finishBody();
    const res = await inFlight;
    assert.equal(res.status, 400, 'answered (the post has no CSRF token), not cut off');
    await stopping;
    await assert.rejects(fetch(`${gh.url}/adfs/probe`, { dispatcher: new Agent({ connect: { ca: gh.tlsCertPem } }) }));
  });
});
