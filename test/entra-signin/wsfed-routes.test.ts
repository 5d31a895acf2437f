import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns } from '../entra/signin/log.js';
import { ALICE_IMMUTABLE_ID, ISSUER, PASSIVE, federatedTenant, type FederatedTenant } from './fixture.js';
import { get, postForm } from './http.js';
import { MFA_METHOD, saml11Assertion, wsFedResult, type Saml11Options } from './tokens.js';

describe('Entra double: passive WS-Fed over HTTPS', () => {
  let d: EntraDouble;
  let f: FederatedTenant;
  before(async () => {
    d = await startEntraDouble();
    f = await federatedTenant({}, d.tenant);
  });
  after(() => d.close());

  const token = (o: Partial<Saml11Options> = {}) =>
    wsFedResult(saml11Assertion({ key: f.key, issuer: ISSUER, immutableId: ALICE_IMMUTABLE_ID, upn: 'alice@corp.example.com', ...o }));
  /** Starts a sign-in and returns the redirect to the IdP, parsed. */
  const start = async (query: string) => {
    const res = await get(d, `/signin?${query}`);
    assert.equal(res.status, 302, res.text);
    const location = res.headers.location ?? '';
    return { location, params: new URL(location).searchParams };
  };

  it('redirects a federated user to passiveSignInUri with wsignin1.0, Entra\'s realm and a wctx (§2.1)', async () => {
    const { location, params } = await start('username=alice@corp.example.com');
    assert.ok(location.startsWith(`${PASSIVE}?`));
    assert.equal(params.get('wa'), 'wsignin1.0');
    assert.equal(params.get('wtrealm'), 'urn:federation:MicrosoftOnline');
    assert.equal(params.get('username'), 'alice@corp.example.com');
    assert.match(params.get('wctx') ?? '', /^LoginOptions=3&estsredirect=2&estsrequest=[\w-]{300,}/);
    assert.ok(location.includes('wtrealm=urn%3afederation%3aMicrosoftOnline'), 'lower-case percent-encoding');
    assert.equal(params.get('wauth'), null);
  });

  it('maps prompt=login by promptLoginBehavior (§2.1)', async () => {
    f.federation.promptLoginBehavior = null;
    let { params } = await start('username=alice@corp.example.com&prompt=login');
    assert.equal(params.get('wfresh'), '0');
    assert.equal(params.get('wauth'), 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password');
    f.federation.promptLoginBehavior = 'nativeSupport';
    ({ params } = await start('username=alice@corp.example.com&prompt=login'));
    assert.deepEqual([params.get('prompt'), params.get('wfresh'), params.get('wauth')], ['login', null, null]);
    f.federation.promptLoginBehavior = 'disabled';
    ({ params } = await start('username=alice@corp.example.com&prompt=login'));
    assert.deepEqual([params.get('prompt'), params.get('wfresh'), params.get('wauth')], [null, '0', null]);
    f.federation.promptLoginBehavior = null;
  });

  it('asks for multipleauthn when MFA is needed on an enforce domain (§2.1, §5.1)', async () => {
    f.federation.federatedIdpMfaBehavior = 'enforceMfaByFederatedIdp';
    const { params } = await start('username=alice@corp.example.com&mfa=1');
    assert.equal(params.get('wauth'), MFA_METHOD);
    f.federation.federatedIdpMfaBehavior = null;
  });

  it('deep-links by domain_hint without a username', async () => {
    const { location, params } = await start('domain_hint=corp.example.com');
    assert.ok(location.startsWith(PASSIVE));
    assert.equal(params.get('username'), null);
  });

  it('shows a managed domain its own password page', async () => {
    const res = await get(d, '/signin?username=bob@managed.example.com');
    assert.equal(res.status, 200);
    assert.match(res.text, /id="managed" data-domain="managed.example.com"/);
  });

  it('answers a UPN in no verified domain with AADSTS50034', async () => {
    const res = await get(d, '/signin?username=eve@nowhere.example.org');
    assert.equal(res.status, 400);
    assert.match(res.text, /data-code="AADSTS50034"/);
  });

  it('signs alice in when the IdP posts a correct token with the wctx back byte-exact', async () => {
    const { params } = await start('username=alice@corp.example.com');
    const res = await postForm(d, '/login.srf', { wa: 'wsignin1.0', wresult: token(), wctx: params.get('wctx') ?? '' });
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<h1>Signed in<\/h1>/);
    assert.match(res.text, /<span id="upn">alice@corp.example.com<\/span>/);
    assert.match(res.text, new RegExp(`<span id="immutable-id">${ALICE_IMMUTABLE_ID.replace(/[+/]/g, '\\$&')}</span>`));
    const last = signIns.at(-1);
    assert.deepEqual([last?.result, last?.protocol, last?.userId], ['success', 'wsFed', f.alice.id]);
  });

  it('rejects a wctx that did not come back byte-exact, and a replayed one', async () => {
    const { params } = await start('username=alice@corp.example.com');
    const wctx = params.get('wctx') ?? '';
    const altered = await postForm(d, '/login.srf', { wa: 'wsignin1.0', wresult: token(), wctx: wctx.replace('&estsredirect', '&amp;estsredirect') });
    assert.match(altered.text, /data-code="AADSTS90100"/);
    assert.equal(altered.status, 400);
    const first = await postForm(d, '/login.srf', { wa: 'wsignin1.0', wresult: token(), wctx });
    assert.equal(first.status, 200);
    const replay = await postForm(d, '/login.srf', { wa: 'wsignin1.0', wresult: token(), wctx });
    assert.match(replay.text, /data-code="AADSTS90100"/);
  });

  it('shows the AADSTS error page for a token that breaks a rule, and logs it', async () => {
    const { params } = await start('username=alice@corp.example.com');
    const res = await postForm(d, '/login.srf', { wa: 'wsignin1.0', wresult: token({ issuer: 'http://evil.example/adfs' }), wctx: params.get('wctx') ?? '' });
    assert.equal(res.status, 400);
    assert.match(res.text, /data-code="AADSTS50107"/);
    assert.match(res.text, /requested federation realm object &#39;http:\/\/evil.example\/adfs&#39; does not exist/);
    assert.deepEqual([signIns.at(-1)?.result, signIns.at(-1)?.code], ['failure', 'AADSTS50107']);
  });

  it('sends an enforce-domain user without MFA back to the IdP, then accepts the MFA token (§5.1)', async () => {
    f.federation.federatedIdpMfaBehavior = 'enforceMfaByFederatedIdp';
    const { params } = await start('username=alice@corp.example.com&mfa=1');
    const back = await postForm(d, '/login.srf', { wa: 'wsignin1.0', wresult: token(), wctx: params.get('wctx') ?? '' });
    assert.equal(back.status, 302);
    const again = new URL(back.headers.location ?? '').searchParams;
    assert.equal(again.get('wauth'), MFA_METHOD);
    assert.equal(signIns.at(-1)?.result, 'mfa-redirect');
    const done = await postForm(d, '/login.srf', { wa: 'wsignin1.0', wresult: token({ authenticationMethod: MFA_METHOD }), wctx: again.get('wctx') ?? '' });
    assert.equal(done.status, 200, done.text);
    assert.match(done.text, /data-mfa="done-by-idp"/);
    f.federation.federatedIdpMfaBehavior = null;
  });

  it('signs out through the domain\'s signOutUri with wsignout1.0 (§2.10)', async () => {
    const res = await get(d, '/signout?username=alice@corp.example.com');
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, `${f.federation.signOutUri}?wa=wsignout1.0`);
  });
});
