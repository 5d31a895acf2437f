import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { createTestUser } from '../directory/helpers.js';
import { freePort, startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { makeCrl, makeTestCa, makeUserCert, type TestCa, type UserCert } from '../support/pki.js';
import { startTestRelyingParty } from '../support/test-rp.js';
import { decode, postLogin, readForm, WebClient } from '../support/web-client.js';

const run = promisify(execFile);
const APP = 'urn:test:certificate-app';
const TLS_CLIENT = 'urn:ietf:rfc:2246';
const BANNED = '198.51.100.66';
const START = `/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(APP)}`;
const SAML_SP = 'https://certificate-sp.example.test';
const SAML_ACS = 'https://certificate-sp.example.test/acs';

/** What openssl (not our code) says of a certificate: subject/issuer in encoding order, serial, SKI. */
async function opensslView(certPem: string, dir: string): Promise<{ subject: string; issuer: string; serial: string; ski: string }> {
  const file = join(dir, `view-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(file, certPem);
  const { stdout } = await run('openssl', ['x509', '-in', file, '-noout', '-subject', '-issuer', '-serial', '-ext', 'subjectKeyIdentifier', '-nameopt', 'sep_comma_plus']);
  const line = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(stdout)?.[1] ?? '';
  const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(stdout)?.[1] ?? '';
  return { subject: line('subject'), issuer: line('issuer'), serial: line('serial'), ski: ski.replace(/:/g, '').toLowerCase() };
}

describe('certificate sign-in through the certificate listener (Samba AD, TLS client)', () => {
  let bed: TestBed;
  let gh: RunningTestGatehouse;
  let rp: Awaited<ReturnType<typeof startTestRelyingParty>>;
  let crlServer: Server;
  let crlFetches = 0;
  let userCa: TestCa;
  let certPort: number;
  let dir: string;
  const certs: Record<string, UserCert> = {};
  let mappedSam = '';
  let skiSam = '';
  let signingCertPem = '';

  before(async () => {
    bed = await getTestBed();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-cert-'));
    userCa = await makeTestCa('Gatehouse Test User CA');
    const unknownCa = await makeTestCa('Gatehouse Unknown CA');
    await writeFile(join(dir, 'user-ca.pem'), userCa.certPem);
    let crl: Buffer = Buffer.alloc(0);
    crlServer = createServer((req, res) => {
      if (req.url !== '/user-ca.crl') return void res.writeHead(404).end();
      crlFetches++;
      res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crl);
    });
    await new Promise<void>((resolve) => crlServer.listen(0, '127.0.0.1', resolve));
    const crlUrl = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}/user-ca.crl`;

    const alice = bed.users.alice!;
    certs.alice = await makeUserCert(userCa, { subject: 'CN=Alice Anders,OU=Smart Cards,O=Corp', upn: alice.upn, crlUrl });
    // The subject is unique per run: the test bed outlives a run, and two users mapped to one name would be ambiguous.
    certs.mapped = await makeUserCert(userCa, { subject: `CN=Mapped Person ${randomBytes(4).toString('hex')},OU=Smart Cards,O=Corp`, crlUrl });
    certs.ski = await makeUserCert(userCa, { subject: 'CN=Key Mapped,O=Corp', crlUrl });
    certs.revoked = await makeUserCert(userCa, { subject: 'CN=Bob Revoked,O=Corp', upn: bed.users.bob!.upn, crlUrl });
    certs.unknownCa = await makeUserCert(unknownCa, { subject: 'CN=Alice Elsewhere,O=Corp', upn: alice.upn });
    certs.nobody = await makeUserCert(userCa, { subject: 'CN=Nobody,O=Corp', upn: 'nobody@corp.example.com', crlUrl });
    certs.disabled = await makeUserCert(userCa, { subject: 'CN=Disabled,O=Corp', upn: bed.users.disabled!.upn, crlUrl });
    certs.serverOnly = await makeUserCert(userCa, { subject: 'CN=Server Only,O=Corp', upn: alice.upn, crlUrl, eku: ['1.3.6.1.5.5.7.3.1'] });
    crl = await makeCrl(userCa, [certs.revoked.serial]);

    // The altSecurityIdentities values as an administrator writes them (MS-PKCA 3.1.5.2.1.3),
    // built from openssl's reading of the certificates, not ours.
    const mappedView = await opensslView(certs.mapped.certPem, dir);
    mappedSam = (await createTestUser(bed, 'certmap', { altSecurityIdentities: `X509:<I>${mappedView.issuer}<S>${mappedView.subject}` })).sam;
    const skiView = await opensslView(certs.ski.certPem, dir);
    skiSam = (await createTestUser(bed, 'certski', { altSecurityIdentities: `X509:<SKI>${skiView.ski}` })).sam;

    rp = await startTestRelyingParty(() => signingCertPem);
    certPort = await freePort();
    gh = await startTestGatehouse({
      directory: testBedDirectory(bed, bed.caCertPath),
      trusts: [
        { identifier: APP, name: 'Certificate app', replyUrls: [rp.replyUrl] },
        { identifier: SAML_SP, name: 'Certificate SAML app', replyUrls: [SAML_ACS], saml: { assertionConsumerServices: [{ binding: 'post', location: SAML_ACS, isDefault: true }] } },
      ],
      extra: {
        certificateAuth: { enabled: true, port: certPort, caFiles: [join(dir, 'user-ca.pem')], revocation: { mode: 'crl', failMode: 'hard' } },
        server: { trustedProxies: ['127.0.0.1'] },
        rateLimit: { bannedAddresses: [BANNED] },
      },
    });
    signingCertPem = (await gh.signingCertificate()).pem;
  });
  after(async () => {
    await gh?.stop();
    await rp?.close();
    await new Promise<void>((resolve) => (crlServer ? crlServer.close(() => resolve()) : resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const client = (cert?: UserCert) => new WebClient([gh.tlsCertPem], {}, cert);

  /** The login page of a WS-Fed sign-in to the test app, and its certificate link. */
  const loginPage = async (c: WebClient) => {
    const html = await (await c.get(gh.url + START)).text();
    const href = /<a href="([^"]*)" id="certificateLink">/.exec(html)?.[1];
    assert.ok(href, 'the login page offers certificate sign-in');
    return { html, link: decode(href) };
  };

  /** Login page → certificate listener; the listener's answer. */
  const toListener = async (c: WebClient) => {
    const { link } = await loginPage(c);
    assert.equal(new URL(link).port, String(certPort), 'the link goes to the certificate port of the same host');
    assert.equal(new URL(link).hostname, new URL(gh.url).hostname);
    return c.get(link);
  };

  /** The whole walk: login page, certificate listener, back to the main listener; its answer. */
  const signIn = async (c: WebClient) => {
    const res = await toListener(c);
    assert.equal(res.status, 200, await res.clone().text());
    const back = readForm(await res.text());
    assert.ok(back.action.startsWith(`${gh.url}/adfs/ls/?`), back.action);
    return { res: await c.post(back.action, back.fields), back };
  };

  /** Posts the token page on to the test app, which checks the signature; who and how. */
  const atApp = async (html: string) => {
    const post = readForm(html);
    assert.equal(post.action, rp.replyUrl);
    // Its own client: both loopback servers' self-signed certificates are named CN=localhost.
    const page = await (await new WebClient([rp.certPem]).post(post.action, post.fields)).text();
    return { user: /<p id="app-user">([^<]*)</.exec(page)?.[1], method: /<p id="app-method">([^<]*)</.exec(page)?.[1] };
  };

  const lastSignin = async () => (await gh.runtime.store.audit.recent(1, { type: 'signin' }))[0];

  it('signs alice in by the UPN in her certificate’s SAN; the token says TLS client', async () => {
    const c = client(certs.alice);
    const { res } = await signIn(c);
    assert.equal(res.status, 200);
    const at = await atApp(await res.text());
    assert.equal(at.method, TLS_CLIENT);
    assert.match(at.user ?? '', /.+/);
    const event = await lastSignin();
    assert.equal(event?.outcome, 'success');
    assert.equal(event?.user, bed.users.alice!.upn);
    assert.equal(event?.details?.method, 'certificate');
    assert.equal(event?.details?.mappedBy, 'upn');
    assert.equal(event?.details?.revocation, 'good');
    assert.equal(event?.clientIp, '127.0.0.1');
  });

  it('signs in a user mapped by altSecurityIdentities X509:<I>…<S>…', async () => {
    const c = client(certs.mapped);
    const { res } = await signIn(c);
    const at = await atApp(await res.text());
    assert.equal(at.method, TLS_CLIENT);
    const event = await lastSignin();
    assert.equal(event?.outcome, 'success');
    assert.equal(event?.user?.split('@')[0], mappedSam);
    assert.equal(event?.details?.mappedBy, 'altSecurityIdentities');
  });

  it('signs in a user mapped by altSecurityIdentities X509:<SKI>…', async () => {
    const c = client(certs.ski);
    const { res } = await signIn(c);
    assert.equal((await atApp(await res.text())).method, TLS_CLIENT);
    assert.equal((await lastSignin())?.user?.split('@')[0], skiSam);
  });

  it('refuses a revoked certificate (CRL from its distribution point, fetched once and cached) with a clear page', async () => {
    const res = await toListener(client(certs.revoked));
    assert.equal(res.status, 403);
    const html = await res.text();
    assert.match(html, /has been revoked/);
    assert.match(html, /id="backToSignIn" href="https:\/\/localhost:\d+\/adfs\/ls\/\?wa=wsignin1.0/);
    assert.doesNotMatch(html, /<form/, 'nothing is posted back');
    const event = await lastSignin();
    assert.equal(event?.reason, 'certificate-revoked');
    assert.equal(event?.details?.method, 'certificate');
    assert.equal(crlFetches, 1, 'one download for every check so far: the CRL is cached until its nextUpdate');
  });

  it('refuses a certificate from a CA it was not told to trust, with a clear page', async () => {
    const res = await toListener(client(certs.unknownCa));
    assert.equal(res.status, 403);
    assert.match(await res.text(), /not issued by a certification authority this service trusts/);
    assert.equal((await lastSignin())?.reason, 'certificate-untrusted');
  });

  it('refuses a certificate without client-authentication or smart card logon use', async () => {
    const res = await toListener(client(certs.serverOnly));
    assert.equal(res.status, 403);
    assert.match(await res.text(), /cannot be used to sign in/);
    assert.equal((await lastSignin())?.reason, 'certificate-purpose');
  });

  it('says so when no certificate is presented', async () => {
    const res = await toListener(client());
    assert.equal(res.status, 403);
    assert.match(await res.text(), /No certificate was presented/);
    assert.equal((await lastSignin())?.reason, 'no-certificate');
  });

  it('returns a valid certificate that names no account to the login page, saying so', async () => {
    const { res } = await signIn(client(certs.nobody));
    const html = await res.text();
    assert.match(html, /not linked to an account/);
    assert.match(html, /id="passwordInput"/);
    assert.equal((await lastSignin())?.reason, 'certificate-not-mapped');
  });

  it('applies the account checks of a password sign-in: a disabled account does not sign in', async () => {
    const { res } = await signIn(client(certs.disabled));
    assert.match(await res.text(), /Your account is disabled/);
    const event = await lastSignin();
    assert.equal(event?.reason, 'account-disabled');
    assert.equal(event?.user, bed.users.disabled!.upn);
  });

  it('takes a certificate result once, from the browser it was made for', async () => {
    const c = client(certs.alice);
    const { back } = await signIn(c);
    const again = await c.post(back.action, back.fields);
    assert.equal(again.status, 400);
    assert.match(await again.text(), /expired or was already used/);

    // A result carried to another browser (a login CSRF with someone's card) has the wrong cookie.
    const victim = client(certs.alice);
    const res = await toListener(victim);
    const stolen = readForm(await res.text());
    const attacker = client();
    await attacker.get(gh.url + START);
    const forged = await attacker.post(stolen.action, stolen.fields);
    assert.equal(forged.status, 400);
    assert.doesNotMatch(await forged.text(), /wresult/);
    const rejected = (await gh.runtime.store.audit.recent(5, { type: 'request.rejected' })).map((e) => e.reason);
    assert.ok(rejected.includes('certificate-result'), rejected.join(' '));
  });

  it('refuses a tampered or foreign hop at the certificate listener', async () => {
    const { link } = await loginPage(client(certs.alice));
    const url = new URL(link);
    url.searchParams.set('hop', `${url.searchParams.get('hop')!.slice(0, -4)}AAAA`);
    const res = await client(certs.alice).get(url.href);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /expired or was already used/);
  });

  it('audits a password sign-in with its method too', async () => {
    const alice = bed.users.alice!;
    const res = await postLogin(client(), gh.url, alice.upn, 'not her password', START);
    assert.match(await res.text(), /Incorrect user ID or password/);
    const event = await lastSignin();
    assert.deepEqual([event?.outcome, event?.details?.method], ['failure', 'password']);
  });

  it('forces a certificate sign-in when the relying party asks for one (wauth=urn:ietf:rfc:2246), as AD FS does', async () => {
    const startCert = `${START}&wauth=${encodeURIComponent(TLS_CLIENT)}`;
    const c = client(certs.alice);
    const html = await (await c.get(gh.url + startCert)).text();
    assert.match(html, /id="certificateLink"/, 'the certificate is offered');
    assert.doesNotMatch(html, /id="passwordInput"/, 'and nothing else');

    // A password posted anyway (with a valid CSRF token of this browser) is not even checked.
    const alice = bed.users.alice!;
    const { fields } = readForm(await (await c.get(gh.url + START)).text());
    const refused = await (await c.post(gh.url + startCert, { ...fields, UserName: alice.upn, Password: alice.password })).text();
    assert.doesNotMatch(refused, /wresult/);
    assert.doesNotMatch(refused, /id="passwordInput"/);
    const event = await lastSignin();
    assert.deepEqual([event?.outcome, event?.reason], ['failure', 'certificate-required']);

    // The certificate walk from that page signs in, and the token says TLS client.
    const href = /<a href="([^"]*)" id="certificateLink">/.exec(html)![1]!;
    const back = readForm(await (await c.get(decode(href))).text());
    const at = await atApp(await (await c.post(back.action, back.fields)).text());
    assert.equal(at.method, TLS_CLIENT);
  });

  it('signs in with a certificate for a SAML 2.0 request that asks for TLS client (RequestedAuthnContext), through the same hop', async () => {
    const request = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="${SAML_ACS}">`
      + `<saml:Issuer>${SAML_SP}</saml:Issuer><samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>`;
    const c = client(certs.alice);
    const html = await (await c.post(`${gh.url}/adfs/ls/`, { SAMLRequest: Buffer.from(request).toString('base64'), RelayState: 'rs' })).text();
    assert.doesNotMatch(html, /id="passwordInput"/, 'only the certificate is offered');
    const href = /<a href="([^"]*)" id="certificateLink">/.exec(html)?.[1];
    assert.ok(href, html);
    const back = readForm(await (await c.get(decode(href))).text());
    assert.ok(back.action.startsWith(`${gh.url}/adfs/ls/?SAMLState=`), back.action);
    const answer = readForm(await (await c.post(back.action, back.fields)).text());
    assert.equal(answer.action, SAML_ACS);
    const xml = Buffer.from(answer.fields.SAMLResponse ?? '', 'base64').toString('utf8');
    assert.match(xml, /StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/);
    assert.match(xml, /<saml:AuthnContextClassRef>urn:ietf:rfc:2246<\/saml:AuthnContextClassRef>/);
    assert.equal(answer.fields.RelayState, 'rs');
    const event = await lastSignin();
    assert.deepEqual([event?.outcome, event?.user, event?.details?.method], ['success', bed.users.alice!.upn, 'certificate']);
  });

  it('does not let an SSO session of a password sign-in answer a request for a certificate', async () => {
    const c = client(certs.alice);
    const alice = bed.users.alice!;
    assert.match(await (await postLogin(c, gh.url, alice.upn, alice.password, START)).text(), /wresult/);
    const html = await (await c.get(`${gh.url}${START}&wauth=${encodeURIComponent(TLS_CLIENT)}`)).text();
    assert.doesNotMatch(html, /wresult/, 'the password session is not reused');
    assert.match(html, /id="certificateLink"/);
  });

  it('refuses a banned address at the certificate listener too, before the certificate is looked at', async () => {
    const { link } = await loginPage(client(certs.alice));
    const res = await new WebClient([gh.tlsCertPem], { 'X-Forwarded-For': BANNED }, certs.alice).get(link);
    assert.equal(res.status, 403);
    const html = await res.text();
    assert.doesNotMatch(html, /<form/, 'no certificate result is posted back');
    assert.match(html, /Sign-in from your network is not allowed/);
    const rejected = (await gh.runtime.store.audit.recent(5, { type: 'request.rejected' }))[0];
    assert.deepEqual([rejected?.reason, rejected?.clientIp], ['address-banned', BANNED]);
  });

  it('answers the certificate listener only over a TLS handshake that asked for a certificate', async () => {
    // The CAs the handshake names are the configured ones: a browser offers only matching certificates.
    const { stdout } = await run('bash', ['-c', `openssl s_client -connect 127.0.0.1:${certPort} -servername localhost </dev/null 2>/dev/null`]);
    assert.match(stdout, /Acceptable client certificate CA names\s*\nCN\s*=\s*Gatehouse Test User CA/);
  });
});

describe('a request for a certificate sign-in while certificateAuth is off', () => {
  let gh: RunningTestGatehouse;
  before(async () => {
    const bed = await getTestBed();
    gh = await startTestGatehouse({ directory: testBedDirectory(bed, bed.caCertPath), trusts: [{ identifier: APP, name: 'Certificate app', replyUrls: ['https://localhost:1/'] }] });
  });
  after(() => gh?.stop());

  it('is refused with 403, not downgraded to a password', async () => {
    const res = await new WebClient([gh.tlsCertPem]).get(`${gh.url}${START}&wauth=${encodeURIComponent(TLS_CLIENT)}`);
    assert.equal(res.status, 403);
    assert.doesNotMatch(await res.text(), /id="passwordInput"/);
  });
});
