import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { connect } from 'node:tls';
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

  const rejections = async () => gh.runtime.store.audit.recent(100_000, { type: 'request.rejected' });

  it('answers a 2 MB WS-Federation URL with a 431 page and one audit event, logging none of it', async () => {
    const before = (await rejections()).length;
    const wctx = `secret-${'x'.repeat(2_000_000)}`;
    const res = await fetch(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=urn:federation:MicrosoftOnline&wctx=${wctx}`, { dispatcher: new Agent({ connect: { ca: gh.tlsCertPem } }) });
    assert.equal(res.status, 431);
    assert.equal(res.headers.get('connection'), 'close');
    assert.match(await res.text(), /<h1>Request Header Fields Too Large<\/h1>.*<code>request-too-large<\/code>/s);
    const events = await rejections();
    assert.equal(events.length, before + 1, 'exactly one audit event for the many chunks of the one request');
    assert.equal(events[0]?.reason, 'request-too-large');
    assert.equal(events[0]?.clientIp, '127.0.0.1');
    assert.ok(!logText.includes('secret-xxxx'), 'the oversized content is not logged');
    assert.match(logText, /audit request.rejected failure/);
  });

  it('answers what is not HTTP at all with a 400 page and an audit event, over the TLS socket', async () => {
    const before = (await rejections()).length;
    const { port } = new URL(gh.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: Number(port), servername: 'localhost', ca: gh.tlsCertPem }, () => socket.write('GET\x01 /adfs/ls/ HTTP/1.1\r\nHost: localhost\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text)).on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(raw, /\r\nConnection: close\r\n/);
    assert.match(raw, /<code>malformed-request<\/code>/);
    const events = await rejections();
    assert.equal(events.length, before + 1);
    assert.equal(events[0]?.reason, 'malformed-request');
    assert.match(String(events[0]?.details?.parserError), /^HPE_/);
    // The server goes on serving.
    const probe = await fetch(`${gh.url}/adfs/probe`, { dispatcher: new Agent({ connect: { ca: gh.tlsCertPem } }) });
    assert.equal(probe.status, 200);
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
