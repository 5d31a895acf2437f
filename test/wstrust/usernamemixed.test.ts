import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { derToPem } from '../../keys/certificate.js';
import type { Store } from '../../store/types.js';
import { USERNAME_13, USERNAME_2005 } from '../../sts/protocols/wstrust/versions.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { sambaObjectGuidBase64 } from '../directory/helpers.js';
import { httpsRequest } from '../entra/https-client.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns } from '../entra/signin/log.js';
import type { User } from '../entra/tenant.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { xmlsecVerify } from '../xml/xmlsec1.js';
import { auditSince, expectRejected as expectRejectedBy, fault, post as postTo, send as sendTo, xml } from './client.js';
import { rst, type RstOptions } from './rst.js';

const run = promisify(execFile);
const ISSUER = 'http://corp.example.com/adfs/services/trust/';
const SAML = 'urn:oasis:names:tc:SAML:1.0:assertion';
const SOAP = 'http://www.w3.org/2003/05/soap-envelope';
const TRUST_2005 = 'http://schemas.xmlsoap.org/ws/2005/02/trust';
const TRUST_13 = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512';
const NO_RICH_CLIENTS = 'urn:test:no-rich-clients';
// Azure CLI's public client id; any id works with the double.
const CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const SAML11_BEARER = 'urn:ietf:params:oauth:grant-type:saml1_1-bearer';

let bed: TestBed;
let gh: RunningTestGatehouse;
let d: EntraDouble;
let store: Store;
let signingCertPem: string;
let alice: User;

const url = (path: string) => `${gh.url}${path}`;
const user = (key: string) => {
  const u = bed.users[key];
  assert.ok(u, `fixture user ${key}`);
  return u;
};

const post = (path: string, body: string, contentType?: string) => postTo(gh, path, body, contentType);
const send = (kind: 'msal-net-2005' | 'msal-python-13', o: Partial<RstOptions> & { username: string; password: string }) => sendTo(gh, kind, o);

/** What MSAL Python does to get the token: the raw text inside RequestedSecurityToken (ENTRA.md §6.7). */
function cutAssertion(rstr: string): string {
  const m = /<(?:\w+:)?RequestedSecurityToken(?:[^>]*)>(.*)<\/(?:\w+:)?RequestedSecurityToken/s.exec(rstr);
  assert.ok(m?.[1], 'RequestedSecurityToken in the answer');
  return m[1];
}

const latestAudit = (type: string, since: Date) => auditSince(store, type, since);

describe('WS-Trust username endpoints against Samba AD and the Entra double', () => {
  before(async () => {
    bed = await getTestBed();
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      trusts: [{ identifier: NO_RICH_CLIENTS, name: 'Browser-only app', replyUrls: ['https://app.example.test/wsfed'], allowWsTrust: false }],
    });
    // The server's own store: its audit reads flush the queued writes first (test/support/gatehouse.ts).
    store = gh.runtime.store;
    const signing = (await store.keys.list('signing')).find((k) => k.status === 'active');
    assert.ok(signing, 'an active signing key');
    signingCertPem = derToPem(signing.certificateDer);

    d = await startEntraDouble();
    d.tenant.addDomain('corp.example.com');
    d.tenant.federate('corp.example.com', {
      issuerUri: ISSUER,
      passiveSignInUri: url('/adfs/ls/'),
      signingCertificate: signing.certificateDer.toString('base64'),
      metadataExchangeUri: url('/adfs/services/trust/mex'),
      activeSignInUri: url(USERNAME_13.path),
    });
    const immutableId = (await sambaObjectGuidBase64(bed, 'alice')).base64;
    alice = d.tenant.addUser({ userPrincipalName: user('alice').upn, displayName: 'Alice Anders', onPremisesImmutableId: immutableId });
  });
  after(async () => {
    await store?.close();
    await d?.close();
    await gh?.stop();
  });

  it('signs alice in with Debian\'s MSAL Python: user realm, MEX, WS-Trust 1.3, SAML 1.1 bearer grant', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-msal-'));
    try {
      const bundle = join(dir, 'ca-bundle.pem');
      await writeFile(bundle, `${d.caCertPem}\n${gh.tlsCertPem}\n`);
      // validate_authority=False: the double is not a host Microsoft's instance discovery knows.
      // MSAL Python 1.21 builds the user-realm URL from the authority's host name without its port
      // (authority.py), where real Entra listens on 443; the instance is set to host:port here.
      const script = [
        'import json, os, sys, msal',
        'app = msal.PublicClientApplication(sys.argv[1], authority=sys.argv[2], validate_authority=False)',
        'app.authority.instance = sys.argv[3]',
        'r = app.acquire_token_by_username_password(sys.argv[4], os.environ["GH_PASSWORD"], scopes=["https://graph.microsoft.com/User.Read"])',
        'print(json.dumps(r))',
      ].join('\n');
      const before = signIns.length;
      const { stdout } = await run('/usr/bin/python3', ['-c', script, CLIENT_ID, `${d.url}/${d.tenant.id}`, new URL(d.url).host, user('alice').upn], {
        env: { ...process.env, REQUESTS_CA_BUNDLE: bundle, GH_PASSWORD: user('alice').password },
        timeout: 60_000,
      });
      const result = JSON.parse(stdout) as Record<string, unknown>;
      assert.equal(result.error, undefined, stdout);
      assert.equal(typeof result.access_token, 'string');
      const claims = result.id_token_claims as Record<string, unknown>;
      assert.equal(claims.oid, alice.id);
      assert.equal(claims.preferred_username, user('alice').upn);
      const seen = signIns.slice(before);
      assert.deepEqual(seen.map((s) => [s.protocol, s.result, s.userId]), [['saml1_1-bearer', 'success', alice.id]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers an MSAL.NET WS-Trust 2005 RST with a bare RSTR whose token the double accepts', async () => {
    const since = new Date();
    const messageId = '5f1e0bd6-6c41-4a0e-9d5a-0d8c1b2a3c4d';
    const res = await send('msal-net-2005', { username: user('alice').upn, password: user('alice').password, messageId });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers['content-type'] ?? '', /^application\/soap\+xml/);
    const doc = xml(res.text);
    const body = doc.getElementsByTagNameNS(SOAP, 'Body')[0]!;
    const answer = Array.from(body.childNodes).find((n) => n.nodeType === 1) as Element;
    assert.deepEqual([answer.namespaceURI, answer.localName], [TRUST_2005, 'RequestSecurityTokenResponse']);
    assert.equal(doc.getElementsByTagNameNS(TRUST_2005, 'TokenType')[0]?.textContent, 'urn:oasis:names:tc:SAML:1.0:assertion');
    assert.equal(doc.getElementsByTagNameNS('http://www.w3.org/2005/08/addressing', 'RelatesTo')[0]?.textContent, `urn:uuid:${messageId}`);
    assert.equal(doc.getElementsByTagNameNS('http://www.w3.org/2005/08/addressing', 'Action')[0]?.textContent, USERNAME_2005.replyAction);
    assert.equal(doc.getElementsByTagNameNS(SAML, 'AuthenticationStatement')[0]?.getAttribute('AuthenticationMethod'), 'urn:oasis:names:tc:SAML:1.0:am:password');

    // MSAL.NET posts the assertion as standard base64 with padding (ENTRA.md §6.8).
    const grant = await httpsRequest(`${d.url}/${d.tenant.id}/oauth2/v2.0/token`, {
      method: 'POST', ca: d.caCertPem, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: SAML11_BEARER, assertion: Buffer.from(cutAssertion(res.text), 'utf8').toString('base64'),
        client_id: CLIENT_ID, client_info: '1', scope: 'https://graph.microsoft.com/User.Read openid profile offline_access',
      }).toString(),
    });
    assert.equal(grant.status, 200, grant.text);
    const idToken = JSON.parse(Buffer.from(String(grant.json().id_token).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(idToken.oid, alice.id);

    const audit = await latestAudit('signin', since);
    assert.ok(audit.some((e) => e.outcome === 'success' && e.user === user('alice').upn && e.details?.protocol === 'wstrust'), JSON.stringify(audit));
  });

  it('answers WS-Trust 1.3 inside a Collection, and the assertion verifies with xmlsec1 and the published certificate alone, also cut out as MSAL Python does', async () => {
    const res = await send('msal-python-13', { username: user('alice').upn, password: user('alice').password });
    assert.equal(res.status, 200, res.text);
    const doc = xml(res.text);
    const collection = doc.getElementsByTagNameNS(TRUST_13, 'RequestSecurityTokenResponseCollection')[0];
    assert.ok(collection, 'a Collection');
    assert.equal(collection.getElementsByTagNameNS(TRUST_13, 'RequestSecurityTokenResponse').length, 1);
    assert.equal(doc.getElementsByTagNameNS(TRUST_13, 'TokenType')[0]?.textContent, 'urn:oasis:names:tc:SAML:1.0:assertion');
    assert.equal(doc.getElementsByTagNameNS(TRUST_13, 'RequestedAttachedReference').length, 1);
    assert.equal(doc.getElementsByTagNameNS(TRUST_13, 'RequestedUnattachedReference').length, 1);
    assert.equal(doc.getElementsByTagNameNS('http://www.w3.org/2005/08/addressing', 'Action')[0]?.textContent, USERNAME_13.replyAction);
    const id = { attr: 'AssertionID', ns: SAML, element: 'Assertion' };
    const whole = await xmlsecVerify(res.text, signingCertPem, id);
    assert.ok(whole.ok, whole.output);
    const cut = await xmlsecVerify(cutAssertion(res.text), signingCertPem, id);
    assert.ok(cut.ok, cut.output);
    const tampered = await xmlsecVerify(cutAssertion(res.text).replace(user('alice').upn, 'mallory@corp.example.com'), signingCertPem, id);
    assert.equal(tampered.ok, false, 'a changed assertion no longer verifies');
  });

  describe('credential failures: one fault, with Reason/Text and Subcode/Value, and an audit event', () => {
    const cases = [
      ['a wrong password', 'badpw', 'Wr0ng-password!', 'bad-password'],
      ['a locked-out user', 'locked', undefined, 'locked-out'],
      ['a disabled user', 'disabled', undefined, 'account-disabled'],
      ['a user who does not exist', undefined, 'Passw0rd!', 'no-such-user'],
    ] as const;
    for (const [what, key, password, reason] of cases) {
      it(`refuses ${what} with FailedAuthentication over both versions`, async () => {
        const since = new Date();
        const username = key ? user(key).upn : 'nobody@corp.example.com';
        for (const kind of ['msal-python-13', 'msal-net-2005'] as const) {
          const res = await send(kind, { username, password: password ?? user(key!).password });
          assert.equal(res.status, 500, res.text);
          assert.deepEqual(fault(res.text), {
            code: 's:Sender',
            subcode: 'a:FailedAuthentication',
            subcodeNs: kind === 'msal-net-2005' ? TRUST_2005 : TRUST_13,
            reason: 'ID3242: The security token could not be authenticated or authorized.',
            action: 'http://www.w3.org/2005/08/addressing/soap/fault',
          });
          assert.doesNotMatch(res.text, /Assertion/);
        }
        const events = (await latestAudit('signin', since)).filter((e) => e.user === username);
        assert.equal(events.length, 2, JSON.stringify(events));
        for (const e of events) assert.deepEqual([e.outcome, e.reason, e.details?.protocol], ['failure', reason, 'wstrust']);
      });
    }

    it('lets MSAL Python read the fault as its error (no crash on Reason or Subcode)', async () => {
      const res = await send('msal-python-13', { username: user('badpw').upn, password: 'nope' });
      const script = 'import json,sys; from msal.wstrust_response import parse_error; print(json.dumps(parse_error(sys.stdin.read())))';
      const child = run('/usr/bin/python3', ['-c', script], { timeout: 30_000 });
      child.child.stdin?.end(res.text);
      assert.deepEqual(JSON.parse((await child).stdout), { reason: 'ID3242: The security token could not be authenticated or authorized.', code: 'a:FailedAuthentication' });
    });
  });

  describe('hostile and wrong requests: refused with a fault and a request.rejected event', () => {
    const alicePw = () => ({ username: user('alice').upn, password: user('alice').password });
    const expectRejected = (res: Awaited<ReturnType<typeof post>>, since: Date, reason: string, subcode?: string) => expectRejectedBy(store, res, since, reason, subcode);

    it('refuses a DOCTYPE with entities', async () => {
      const since = new Date();
      const evil = `<?xml version="1.0"?><!DOCTYPE s [<!ENTITY pw SYSTEM "file:///etc/passwd">]>${rst('msal-python-13', { ...alicePw(), to: url(USERNAME_13.path) })}`;
      await expectRejected(await post(USERNAME_13.path, evil), since, 'xml-doctype');
    });

    it('refuses an oversize body before parsing it', async () => {
      const since = new Date();
      const big = rst('msal-python-13', { ...alicePw(), to: url(USERNAME_13.path), extraToken: `<x>${'a'.repeat(70 * 1024)}</x>` });
      await expectRejected(await post(USERNAME_13.path, big), since, 'xml-too-large');
    });

    it('refuses a Timestamp outside the window', async () => {
      const since = new Date();
      const created = new Date(Date.now() - 60 * 60_000);
      await expectRejected(await send('msal-net-2005', { ...alicePw(), created }), since, 'timestamp-too-old');
      await expectRejected(await send('msal-net-2005', { ...alicePw(), created: new Date(Date.now() + 30 * 60_000) }), since, 'timestamp-in-future');
    });

    it('accepts a UsernameToken nonce once and refuses the replayed message', async () => {
      const since = new Date();
      const now = new Date();
      const extraToken = `<wsse:Nonce>${randomBytes(16).toString('base64')}</wsse:Nonce><wsu:Created>${now.toISOString()}</wsu:Created>`;
      const body = rst('msal-net-2005', { ...alicePw(), to: url(USERNAME_2005.path), created: now, extraToken });
      assert.equal((await post(USERNAME_2005.path, body)).status, 200);
      await expectRejected(await post(USERNAME_2005.path, body), since, 'replayed-nonce');
    });

    it('refuses an unknown AppliesTo with RequestFailed', async () => {
      const since = new Date();
      await expectRejected(await send('msal-python-13', { ...alicePw(), appliesTo: 'urn:nobody:knows' }), since, 'unknown-relying-party', 'a:RequestFailed');
    });

    it('refuses a trust that does not allow WS-Trust, before checking the password', async () => {
      const since = new Date();
      await expectRejected(await send('msal-python-13', { ...alicePw(), appliesTo: NO_RICH_CLIENTS }), since, 'wstrust-not-allowed', 'a:RequestFailed');
      assert.deepEqual(await latestAudit('signin', since), []);
    });

    it('refuses the wrong Action for the endpoint', async () => {
      const since = new Date();
      const body = rst('msal-net-2005', { ...alicePw(), to: url(USERNAME_13.path) });
      await expectRejected(await post(USERNAME_13.path, body), since, 'wrong-action');
    });

    it('refuses a message addressed (wsa:To) to another server', async () => {
      const since = new Date();
      await expectRejected(await send('msal-python-13', { ...alicePw(), to: 'https://evil.example/adfs/services/trust/13/usernamemixed' }), since, 'wrong-to');
    });

    it('refuses SOAP sent as text/xml (SOAP 1.1 content type)', async () => {
      const since = new Date();
      const body = rst('msal-python-13', { ...alicePw(), to: url(USERNAME_13.path) });
      await expectRejected(await post(USERNAME_13.path, body, 'text/xml; charset=utf-8'), since, 'content-type');
    });
  });

  it('serves the MEX at the AD FS path with the public https addresses', async () => {
    const res = await httpsRequest(url('/adfs/services/trust/mex'), { ca: gh.tlsCertPem });
    assert.equal(res.status, 200);
    assert.ok(res.text.includes(`<wsa10:Address>${url(USERNAME_13.path)}</wsa10:Address>`));
    assert.ok(res.text.includes(`<wsa10:Address>${url(USERNAME_2005.path)}</wsa10:Address>`));
  });
});
