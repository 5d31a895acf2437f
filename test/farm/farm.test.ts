import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { postgresStore } from '../../store/postgres/index.js';
import { USERNAME_2005 } from '../../sts/protocols/wstrust/versions.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { httpsRequest } from '../entra/https-client.js';
import { gatehouse } from '../support/cli.js';
import { startFarmNode, until, type FarmConfig, type FarmNode } from '../support/farm-node.js';
import { testBedDirectory } from '../support/gatehouse.js';
import { makeLocalhostTls } from '../support/pki.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import type { Response } from 'undici';
import { ENTRA_SIGNIN, postLogin, readForm, WebClient } from '../support/web-client.js';
import { fault } from '../wstrust/client.js';
import { rst } from '../wstrust/rst.js';

/*
 * A farm as an operator builds one: two `gatehouse serve` processes (the built CLI) on different
 * ports, one PostgreSQL database, one Samba DC. The test is the load balancer: it picks the node,
 * and a browser's cookies go to both as they would to one host name.
 */

const REFRESH_SECONDS = 1;
const ROLLOVER_LEASE = 'key-rollover';

let bed: TestBed;
let pg: TestPostgres;
let dir: string;
let tls: { certFile: string; keyFile: string; certPem: string };
let farm: FarmConfig;
let a: FarmNode;
let b: FarmNode;

const admin = () => postgresStore({ url: pg.url, poolSize: 2, statementTimeoutMs: 5000, connectTimeoutMs: 1000, migrate: false });

/** One browser in front of the farm: a single cookie jar for every node, as behind one host name. */
function browser(nodes: FarmNode[]): WebClient {
  const client = new WebClient([tls.certPem]);
  const jar = new Map<string, string>();
  for (const n of nodes) client.jar.set(new URL(n.url).host, jar);
  return client;
}

const signedIn = async (res: Response) => res.status === 200 && /name="wresult"/.test(await res.text());
const ssoReissue = (client: WebClient, node: FarmNode) => client.get(new URL(ENTRA_SIGNIN, node.url).href);
const signerOf = (html: string) => /<(?:\w+:)?X509Certificate>([^<]+)</.exec(readForm(html).fields.wresult ?? '')?.[1];
const wsTrust = (node: FarmNode, body: string) => httpsRequest(`${node.url}${USERNAME_2005.path}`, { method: 'POST', ca: tls.certPem, headers: { 'Content-Type': 'application/soap+xml; charset=utf-8' }, body, timeoutMs: 20_000 });

describe('a farm: two nodes on one PostgreSQL, any node serves any request', () => {
  before(async () => {
    [bed, pg] = await Promise.all([getTestBed(), startPostgres()]);
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-farm-'));
    const made = await makeLocalhostTls();
    await writeFile(join(dir, 'server.crt'), made.certPem);
    await writeFile(join(dir, 'server.key'), made.keyPem, { mode: 0o600 });
    tls = { certFile: 'server.crt', keyFile: 'server.key', certPem: made.certPem };
    farm = {
      store: { kind: 'postgres', url: pg.url, connectTimeoutMs: 1000, statementTimeoutMs: 3000 },
      directory: testBedDirectory(bed, bed.caCertPath),
      federation: { domains: [{ name: bed.realm }] },
      keys: { keyEncryptionKey: randomBytes(32).toString('base64'), refreshSeconds: REFRESH_SECONDS },
      lockout: { extranetThreshold: 3, observationWindowMinutes: 30 },
      // The test is the load balancer: X-Forwarded-For names the client (smart lockout's locations).
      server: { trustedProxies: ['127.0.0.1'] },
      log: { level: 'warn' },
    };
    // One after the other: the first makes the signing key, the second finds it.
    a = await startFarmNode(dir, 'a', farm, tls);
    b = await startFarmNode(dir, 'b', farm, tls);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('honours on node B an SSO session made on node A, without asking for credentials', async () => {
    const client = browser([a, b]);
    assert.ok(await signedIn(await postLogin(client, a.url, bed.users.alice!.upn, bed.users.alice!.password)), 'signed in on A');
    const onB = await ssoReissue(client, b);
    const html = await onB.text();
    assert.equal(onB.status, 200);
    assert.doesNotMatch(html, /name="Password"/, 'no login page on B');
    assert.match(html, /name="wresult"/, 'B issued a token from the session');
  });

  it('refuses on node B a WS-Trust nonce already used on node A, and a login form token used on B on A', async () => {
    const created = new Date();
    const nonce = `<wsse:Nonce>${randomBytes(16).toString('base64')}</wsse:Nonce><wsu:Created>${created.toISOString()}</wsu:Created>`;
    const message = (node: FarmNode) => rst('msal-net-2005', { username: bed.users.alice!.upn, password: bed.users.alice!.password, to: `${node.url}${USERNAME_2005.path}`, created, extraToken: nonce });
    const first = await wsTrust(a, message(a));
    assert.equal(first.status, 200, first.text);
    const replay = await wsTrust(b, message(b));
    assert.equal(replay.status, 500);
    assert.equal(fault(replay.text).subcode, 'a:InvalidRequest');
    assert.doesNotMatch(replay.text, /Assertion/);

    // The login form's one-time CSRF token (the browser's replay cache): used on B, refused on A.
    const client = browser([a, b]);
    const { action, fields } = readForm(await (await client.get(new URL(ENTRA_SIGNIN, a.url).href)).text());
    const post = (node: FarmNode) => client.post(new URL(action, node.url).href, { ...fields, UserName: bed.users.alice!.upn, Password: bed.users.alice!.password });
    assert.ok(await signedIn(await post(b)), 'the form from A is accepted once, on B');
    const again = await post(a);
    assert.equal(again.status, 400, 'the same form token is refused on A');
    assert.doesNotMatch(await again.text(), /name="wresult"/);
    const store = admin();
    const [refused] = await store.audit.recent(1, { type: 'request.rejected' });
    await store.close();
    assert.equal(refused?.reason, 'csrf');
  });

  it('counts extranet lockout failures across nodes', async () => {
    const jose = bed.users.jose!;
    const client = browser([a, b]);
    for (const node of [a, b, a]) assert.match(await (await postLogin(client, node.url, jose.upn, `wrong-${randomBytes(4).toString('hex')}`)).text(), /Incorrect user ID or password/);
    const html = await (await postLogin(client, b.url, jose.upn, jose.password)).text();
    assert.doesNotMatch(html, /name="wresult"/, 'the right password is refused on B after two failures on A and one on B');
    const store = admin();
    const [last] = await store.audit.recent(1, { type: 'signin', user: jose.upn });
    await store.close();
    assert.equal(last?.reason, 'extranet-lockout');
  });

  it('honours on node B a familiar address learnt on node A, while failures from elsewhere on both lock the unfamiliar ones', async () => {
    const carol = bed.users.carol!;
    const from = (ip: string) => new WebClient([tls.certPem], { 'X-Forwarded-For': ip });
    assert.ok(await signedIn(await postLogin(from('192.0.2.70'), a.url, carol.upn, carol.password)), 'signed in on A from home');
    for (const node of [b, a, b]) await postLogin(from('203.0.113.70'), node.url, carol.upn, `wrong-${randomBytes(4).toString('hex')}`);
    assert.doesNotMatch(await (await postLogin(from('203.0.113.71'), a.url, carol.upn, carol.password)).text(), /name="wresult"/, 'unfamiliar addresses are locked on A by failures on both');
    assert.ok(await signedIn(await postLogin(from('192.0.2.70'), b.url, carol.upn, carol.password)), 'B knows the address A learnt');
    const store = admin();
    const [last] = await store.audit.recent(1, { type: 'signin', user: carol.upn });
    await store.close();
    assert.deepEqual([last?.outcome, last?.details?.location], ['success', 'familiar']);
  });

  it(`signs on node B with a key promoted through node A within keys.refreshSeconds (${REFRESH_SECONDS} s)`, async () => {
    const configA = join(dir, 'a.yaml');
    const generated = await gatehouse(['keys', 'generate', '--state', 'next', '-c', configA]);
    assert.equal(generated.code, 0, generated.stderr);
    const thumbprint = /^generated ([0-9A-F]{40}) /.exec(generated.stdout)![1]!;
    const promoted = await gatehouse(['keys', 'promote', thumbprint, '--force', '-c', configA]);
    assert.equal(promoted.code, 0, promoted.stderr);
    const at = Date.now();
    const store = admin();
    const der = (await store.keys.get(thumbprint))!.certificateDer.toString('base64');
    await store.close();
    const client = browser([a, b]);
    assert.ok(await signedIn(await postLogin(client, a.url, bed.users.alice!.upn, bed.users.alice!.password)));
    const signer = async (node: FarmNode) => signerOf(await (await ssoReissue(client, node)).text());
    // Each node re-reads the keys on its own timer: both have swapped within one interval (plus the requests' time).
    await until('A and B sign with the promoted key', async () => ((await signer(b)) === der && (await signer(a)) === der ? true : undefined), 3 * REFRESH_SECONDS * 1000 + 2000);
    assert.ok(Date.now() - at <= REFRESH_SECONDS * 1000 + 1500, `within the refresh bound (${Date.now() - at} ms)`);
  });

  it('refuses to start a node whose key-encryption key or domains differ from the running farm, naming what differs', async () => {
    const otherKek = { ...farm, keys: { ...farm.keys, keyEncryptionKey: randomBytes(32).toString('base64') } };
    await assert.rejects(startFarmNode(dir, 'other-kek', otherKek, tls), (err: Error) => {
      assert.match(err.message, /gatehouse: this node does not match the farm: keys\.keyEncryptionKey differs from the one node [^ ]+ runs with \(fingerprint [0-9a-f]{16}, the farm's [0-9a-f]{16}\); every node needs the same key\n/);
      assert.ok(!err.message.includes(otherKek.keys.keyEncryptionKey as string) && !err.message.includes(farm.keys.keyEncryptionKey as string), 'no key in the message');
      return true;
    });
    const otherDomains = { ...farm, federation: { domains: [{ name: bed.realm }, { name: 'fabrikam.example.com' }] } };
    await assert.rejects(startFarmNode(dir, 'other-domains', otherDomains, tls), /this node does not match the farm: federation\.domains differ from node [^ ]+'s: this node has corp\.example\.com=http:\/\/corp\.example\.com\/adfs\/services\/trust\/, fabrikam\.example\.com=.*; the farm has corp\.example\.com=http:\/\/corp\.example\.com\/adfs\/services\/trust\/\n/);
  });

  it('answers 503 with a page while PostgreSQL restarts under load, never crashes, and serves again once it is back', async () => {
    const clients = [browser([a, b]), browser([a, b])];
    for (const c of clients) assert.ok(await signedIn(await postLogin(c, a.url, bed.users.alice!.upn, bed.users.alice!.password)));
    const seen: string[] = [];
    let stop = false;
    const load = clients.map(async (c, i) => {
      for (let n = 0; !stop; n++) {
        const res = await ssoReissue(c, [a, b][(n + i) % 2]!);
        const html = await res.text();
        if (res.status === 200 && /name="wresult"/.test(html)) seen.push('ok');
        else if (res.status === 503 && res.headers.get('retry-after') === '5' && /Temporarily unavailable/.test(html)) seen.push('503');
        else seen.push(`unexpected ${res.status}: ${html.slice(0, 200)}`);
      }
    });
    // A rich client too: WS-Trust passes the per-address rate limit (a store counter) before anything else.
    const richClient = (async () => {
      for (let n = 0; !stop; n++) {
        const node = [a, b][n % 2]!;
        const res = await wsTrust(node, rst('msal-net-2005', { username: bed.users.alice!.upn, password: bed.users.alice!.password, to: `${node.url}${USERNAME_2005.path}` }));
        if (res.status === 200 && /Assertion/.test(res.text)) seen.push('ok');
        else if (res.status === 503 && res.headers['retry-after'] === '5' && /Temporarily unavailable/.test(res.text)) seen.push('503');
        else seen.push(`unexpected WS-Trust ${res.status}: ${res.text.slice(0, 200)}`);
      }
    })();
    load.push(richClient);
    await until('load running', async () => (seen.length >= 4 ? true : undefined));
    await pg.halt();
    await until('503 answered while the database is down', async () => (seen.includes('503') ? true : undefined));
    const during = seen.length;
    await pg.resume();
    await until('sign-ins succeed again', async () => (seen.slice(during).filter((s) => s === 'ok').length >= 4 ? true : undefined), 20_000);
    stop = true;
    await Promise.all(load);
    assert.deepEqual(seen.filter((s) => s !== 'ok' && s !== '503'), [], 'only tokens or the 503 page');
    assert.equal(a.process.exitCode, null, 'node A still runs');
    assert.equal(b.process.exitCode, null, 'node B still runs');
  });

  it('keeps signing users in on the surviving node when the lease holder is killed under load, and the lease moves to it', async () => {
    const store = admin();
    const holder = await until('a node holds the rollover lease', async () => (await store.sync.getLease(ROLLOVER_LEASE))?.holder);
    const [victim, survivor] = holder.startsWith(`${a.process.pid}-`) ? [a, b] : [b, a];
    assert.ok(holder.startsWith(`${victim.process.pid}-`), `the lease is held by a node (${holder})`);

    const users = Array.from({ length: 4 }, () => ({ client: browser([a, b]), sessionFrom: '' }));
    for (const [i, u] of users.entries()) {
      // Half the sessions are made on the node about to die: they must survive it.
      const node = i % 2 ? victim : survivor;
      assert.ok(await signedIn(await postLogin(u.client, node.url, bed.users.alice!.upn, bed.users.alice!.password)));
      u.sessionFrom = node === victim ? 'victim' : 'survivor';
    }
    const failures: string[] = [];
    let served = 0;
    let servedAfterKill = 0;
    let killed = false;
    let stop = false;
    const load = users.map(async (u, i) => {
      const alive = new Set([a, b]);
      for (let n = 0; !stop; n++) {
        const order = [[a, b], [b, a]][(n + i) % 2]!.filter((node) => alive.has(node));
        let done = false;
        for (const node of order) {
          // The client's failover: a refused or cut connection sends the same request to the other node.
          const res = await ssoReissue(u.client, node).catch(() => undefined);
          if (!res) {
            alive.delete(node);
            continue;
          }
          const html = await res.text();
          if (res.status === 200 && /name="wresult"/.test(html)) done = true;
          else failures.push(`${u.sessionFrom} session on ${node === victim ? 'victim' : 'survivor'}: ${res.status} ${html.includes('name="Password"') ? 'login page (session lost)' : html.slice(0, 120)}`);
          break;
        }
        if (done) {
          served++;
          if (killed) servedAfterKill++;
        }
      }
    });
    await until('load running', async () => (served >= 8 ? true : undefined));
    await victim.kill();
    killed = true;
    await until('sign-ins continue after the kill', async () => (servedAfterKill >= 20 ? true : undefined), 20_000);
    const moved = await until('the lease moves to the survivor', async () => {
      const l = await store.sync.getLease(ROLLOVER_LEASE);
      return l?.holder.startsWith(`${survivor.process.pid}-`) ? l.holder : undefined;
    }, 3 * REFRESH_SECONDS * 1000 + 5000);
    stop = true;
    await Promise.all(load);
    await store.close();
    assert.deepEqual(failures, [], 'no sign-in failed and no session was lost');
    assert.notEqual(moved, holder);
    assert.equal(survivor.process.exitCode, null);
  });
});
