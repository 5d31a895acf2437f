import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { DirectoryUser } from '../../directory/types.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { TotpProvider } from '../../sts/signin/mfa/totp.js';
import type { AuditEvent } from '../../store/types.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { startMfaHook, type HookDecision } from '../support/mfa-hook.js';
import { decode, readForm, WebClient } from '../support/web-client.js';
import { gatehouse } from '../support/cli.js';
import { fault, send } from '../wstrust/client.js';
import { xmlsecVerify } from '../xml/xmlsec1.js';

const SECRET = 'hook secret: thirty-two bytes or more, random';
const PLAIN = 'urn:test:plain';
const GUARDED = 'urn:test:guarded';
const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';
const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00', groups: ['Push Users'] };
const carol = { upn: 'carol@corp.example.com', password: 'Passw0rd!', objectGuid: '21223344-5566-7788-99aa-bbccddeeff00', groups: ['Finance'] };

let gh: RunningTestGatehouse;
let hook: Awaited<ReturnType<typeof startMfaHook>>;
let decide: () => HookDecision | Promise<HookDecision>;

const signin = (realm: string, extra = '') => `${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(realm)}${extra}`;
const client = () => new WebClient([gh.tlsCertPem]);

/** The password posted to the login page at `url`; returns the page that follows. */
async function password(c: WebClient, url: string, user: { upn: string; password: string }): Promise<string> {
  const page = await (await c.get(url)).text();
  const { action, fields } = readForm(page);
  return (await c.post(new URL(action, gh.url).href, { ...fields, UserName: user.upn, Password: user.password })).text();
}

/** Posts the MFA page's form (with a code when given). */
async function answer(c: WebClient, page: string, code?: string): Promise<string> {
  const { action, fields } = readForm(page);
  return (await c.post(new URL(action, gh.url).href, { ...fields, ...(code !== undefined ? { Code: code } : {}) })).text();
}

const isMfaPage = (page: string) => /name="MfaFlow"/.test(page);
/** The SAML 1.1 assertion in an auto-post answer, or undefined when the page is no token post. */
function token(page: string): string | undefined {
  if (!/data-autopost/.test(page)) return undefined;
  return decode(readForm(page).fields.wresult ?? '');
}

async function audit(type: string): Promise<AuditEvent[]> {
  // Audit events are written off the answer's path (health/audit.ts): the ones recorded for the last answer, now.
  await gh.runtime.audit.flush();
  await gh.runtime.audit.flush();
  const store = sqliteStore(gh.config.store.sqlitePath);
  try {
    return await store.audit.recent(500, { type });
  } finally {
    await store.close();
  }
}

/** Enrols an authenticator for the user straight in the store (as a finished set-up page would); returns the app. */
async function enrol(objectGuid: string, upn: string): Promise<TOTP> {
  const secret = new Secret({ size: 20 }).base32;
  await gh.runtime.audit.flush();
  const store = sqliteStore(gh.config.store.sqlitePath);
  try {
    const totp = new TotpProvider({ store: store.mfa, kek: Buffer.from(String(gh.config.keys.keyEncryptionKey), 'base64'), issuer: 'x', driftSteps: 1 });
    const gen = new TOTP({ secret: Secret.fromBase32(secret) });
    assert.deepEqual(await totp.enrol({ objectGuid, upn } as unknown as DirectoryUser, secret, gen.generate({ timestamp: Date.now() - 30_000 })), { ok: true });
    return gen;
  } finally {
    await store.close();
  }
}

before(async () => {
  hook = await startMfaHook(SECRET, () => decide());
  gh = await startTestGatehouse({
    directory: { users: [alice, carol] },
    trusts: [
      { identifier: PLAIN, name: 'Plain app', replyUrls: ['https://plain.example.net/wsfed'] },
      { identifier: GUARDED, name: 'Guarded app', replyUrls: ['https://guarded.example.net/wsfed'] },
    ],
    extra: {
      corporateNetwork: ['10.0.0.0/8'],
      mfa: {
        policy: { trusts: [GUARDED], groups: [], extranet: false },
        totp: { enabled: true, driftSteps: 1, enrolment: 'never' },
        external: { url: hook.url, secret: SECRET, name: 'push', timeoutMs: 400, groups: ['Push Users'] },
      },
    },
  });
});
after(async () => {
  await gh?.stop();
  await hook?.close();
});
beforeEach(() => {
  decide = () => ({ status: 'pending' });
});

describe('second factor through the sign-in pages (external hook, policy, flow state)', () => {
  it('issues no token after the password for a trust that needs MFA, and one with multipleauthn once the service approves', async () => {
    const c = client();
    const mfaPage = await password(c, signin(GUARDED), alice);
    assert.ok(isMfaPage(mfaPage), 'the second-factor page, not a token');
    assert.equal(token(mfaPage), undefined);
    assert.match(mfaPage, /Approve the sign-in request/);
    assert.equal(hook.requests.at(-1)?.body.type, 'begin');
    const again = await answer(c, mfaPage);
    assert.ok(isMfaPage(again), 'still pending: asked again');
    assert.match(again, /has not been approved yet/);
    decide = () => ({ status: 'approved' });
    const done = await answer(c, again);
    const assertion = token(done);
    assert.ok(assertion, done.slice(0, 400));
    assert.match(assertion, new RegExp(`AuthenticationMethod="${MULTIPLE_AUTHN}"`));
    assert.match(assertion, /AttributeName="authnmethodsreferences"[^>]*>(<[^>]+>[^<]*<\/[^>]+>)*<saml:AttributeValue>http:\/\/schemas\.microsoft\.com\/claims\/multipleauthn</, 'ENTRA.md §5.2: authnmethodsreferences too');
    const verified = await xmlsecVerify(assertion, (await gh.signingCertificate()).pem, { attr: 'AssertionID', ns: 'urn:oasis:names:tc:SAML:1.0:assertion', element: 'Assertion' });
    assert.ok(verified.ok, verified.output);
    assert.match(new URL(readForm(done).action).host, /guarded\.example\.net/);
    const events = (await audit('mfa')).filter((e) => e.user === alice.upn);
    assert.deepEqual(events.slice(0, 3).map((e) => [e.outcome, e.reason, e.details?.method]), [
      ['success', 'verified', 'external'],
      ['failure', 'pending', 'external'],
      ['success', 'challenge-sent', 'external'],
    ]);
    for (const e of events) {
      assert.equal(e.clientIp, '127.0.0.1');
      assert.equal(e.relyingParty, GUARDED);
      assert.equal(e.details?.policy, 'trust');
    }
  });

  it('sends the user back to the password with no token when the service denies, and fails closed when it does not answer in time', async () => {
    for (const [d, text] of [[{ status: 'denied' }, /was not approved/], [{ hang: true }, /not available right now/]] as const) {
      decide = () => ({ status: 'pending' });
      const c = client();
      const mfaPage = await password(c, signin(GUARDED), alice);
      assert.ok(isMfaPage(mfaPage));
      decide = () => d;
      const t0 = Date.now();
      const after = await answer(c, mfaPage);
      assert.ok(Date.now() - t0 < 3000);
      assert.equal(token(after), undefined);
      assert.match(after, /id="passwordInput"/);
      assert.match(after, text);
    }
    const reasons = (await audit('mfa')).filter((e) => e.outcome === 'failure').slice(0, 2).map((e) => e.reason);
    assert.deepEqual(reasons, ['unavailable', 'denied']);
  });

  it('takes a posted MFA page once: the same flow posted again, or for another application, starts over', async () => {
    const c = client();
    const mfaPage = await password(c, signin(GUARDED), alice);
    const { action, fields } = readForm(mfaPage);
    await c.post(new URL(action, gh.url).href, fields);
    // A fresh CSRF token for this browser, so only the flow is replayed.
    const csrf = readForm(await (await c.get(signin(PLAIN))).text()).fields.csrf_token!;
    decide = () => ({ status: 'approved' });
    const replay = await (await c.post(new URL(action, gh.url).href, { ...fields, csrf_token: csrf })).text();
    assert.equal(token(replay), undefined);
    assert.match(replay, /expired or was already used/);

    const fresh = await password(client(), signin(GUARDED), alice);
    const elsewhere = readForm(fresh);
    const csrf2 = readForm(await (await c.get(signin(PLAIN))).text()).fields.csrf_token!;
    const moved = await (await c.post(signin(PLAIN), { MfaFlow: elsewhere.fields.MfaFlow!, csrf_token: csrf2 })).text();
    assert.equal(token(moved), undefined, 'a flow made for one relying party is nothing at another');
    assert.equal((await audit('mfa'))[0]?.reason, 'flow-expired');
  });

  it('steps an SSO session without MFA up when a trust needs it, without asking for the password, and reuses it afterwards', async () => {
    const c = client();
    const plain = token(await password(c, signin(PLAIN), alice));
    assert.ok(plain);
    assert.doesNotMatch(plain, new RegExp(MULTIPLE_AUTHN), 'no MFA where none was needed');
    const stepUp = await (await c.get(signin(GUARDED))).text();
    assert.ok(isMfaPage(stepUp), 'the session alone does not satisfy the trust');
    assert.doesNotMatch(stepUp, /passwordInput/);
    decide = () => ({ status: 'approved' });
    assert.match(token(await answer(c, stepUp)) ?? '', new RegExp(MULTIPLE_AUTHN));
    const begins = hook.requests.length;
    const reuse = token(await (await c.get(signin(GUARDED))).text());
    assert.match(reuse ?? '', new RegExp(MULTIPLE_AUTHN), 'the session now records MFA');
    assert.equal(hook.requests.length, begins, 'no second challenge');
  });

  it('asks for MFA when the request does (wauth=multipleauthn) even for a trust that needs none', async () => {
    const c = client();
    const page = await password(c, signin(PLAIN, `&wauth=${encodeURIComponent(MULTIPLE_AUTHN)}`), alice);
    assert.ok(isMfaPage(page));
    decide = () => ({ status: 'approved' });
    assert.match(token(await answer(c, page)) ?? '', new RegExp(MULTIPLE_AUTHN));
    assert.equal((await audit('mfa'))[0]?.details?.policy, 'requested');
  });

  it('refuses a user with no second factor and no enrolment allowed, rather than issuing a password-only token', async () => {
    const c = client();
    const res = await password(c, signin(GUARDED), carol);
    assert.equal(token(res), undefined);
    assert.doesNotMatch(res, /MfaFlow/);
    assert.match(res, /Additional verification is not available/);
    assert.equal((await audit('mfa'))[0]?.reason, 'no-method-for-user');
  });

  it('answers a WS-Trust request for a trust that needs MFA with a SOAP fault and an audit event, and still serves one that does not', async () => {
    const refused = await send(gh, 'msal-python-13', { username: alice.upn, password: alice.password, appliesTo: GUARDED });
    assert.equal(refused.status, 500);
    assert.equal(fault(refused.text).subcode, 'a:RequestFailed');
    assert.doesNotMatch(refused.text, /Assertion/);
    assert.equal((await audit('mfa'))[0]?.reason, 'no-interactive-channel');
    assert.equal((await audit('request.rejected'))[0]?.reason, 'mfa-required');
    const served = await send(gh, 'msal-python-13', { username: alice.upn, password: alice.password, appliesTo: PLAIN });
    assert.equal(served.status, 200, served.text);
  });

  it('logs and audits no code or secret', async () => {
    decide = () => ({ status: 'pending', wantsCode: true });
    const c = client();
    const page = await password(c, signin(GUARDED), alice);
    const typed = '918273';
    decide = () => ({ status: 'denied' });
    await answer(c, page, typed);
    const all = JSON.stringify(await audit('mfa')) + JSON.stringify(await audit('signin'));
    assert.doesNotMatch(all, new RegExp(typed));
    assert.doesNotMatch(all, /hook secret/);
  });
});

describe('TOTP codes through the sign-in pages', () => {
  it('signs an enrolled user in with the app’s code and refuses the same code a second time', async () => {
    // Enrolment itself is the Chromium test's; here the user was enrolled by the store.
    const gen = await enrol(carol.objectGuid, carol.upn);

    const code = gen.generate();
    const c = client();
    const page = await password(c, signin(GUARDED), carol);
    assert.match(page, /6-digit code/);
    assert.match(token(await answer(c, page, code)) ?? '', new RegExp(MULTIPLE_AUTHN));

    const c2 = client();
    const again = await answer(c2, await password(c2, signin(GUARDED), carol), code);
    assert.equal(token(again), undefined);
    assert.ok(isMfaPage(again));
    assert.match(again, /already used/);
    assert.equal((await audit('mfa'))[0]?.reason, 'replayed-code');
  });

  it('shows and resets a user’s authenticator from the CLI (gatehouse mfa show|reset), after which the old app no longer signs in', async () => {
    const config = `${gh.dir}/gatehouse.yaml`;
    const shown = await gatehouse(['mfa', 'show', 'CAROL@corp.example.com', '-c', config, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const view = JSON.parse(shown.stdout) as { user: string; objectGuid: string; method: string; lastUsedAt: string };
    assert.deepEqual([view.user, view.objectGuid, view.method], [carol.upn, carol.objectGuid, 'totp']);
    assert.ok(Math.abs(Date.parse(view.lastUsedAt) - Date.now()) < 90_000);
    assert.doesNotMatch(shown.stdout, /secret|sealed/i);
    const reset = await gatehouse(['mfa', 'reset', carol.objectGuid, '-c', config]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /carol@corp\.example\.com: authenticator app removed/);
    assert.equal((await gatehouse(['mfa', 'show', carol.upn, '-c', config])).code, 1);
    assert.equal((await gatehouse(['mfa', 'reset', carol.upn, '-c', config])).code, 1, 'nothing left to remove');
    assert.equal((await audit('mfa.reset'))[0]?.user, carol.upn);
    // mfa.totp.enrolment is 'never' here: without the app carol cannot pass the guarded trust.
    const page = await password(client(), signin(GUARDED), carol);
    assert.equal(token(page), undefined);
    assert.match(page, /Additional verification is not available/);
  });

  it('sends a code guesser back to the password after 5 wrong codes, and stops the user’s second factor after mfa.maxFailures (10) in 15 minutes', async () => {
    await enrol(carol.objectGuid, carol.upn);
    const c = client();
    let page = await password(c, signin(GUARDED), carol);
    for (let i = 0; i < 5; i++) page = await answer(c, page, String(100000 + i));
    assert.doesNotMatch(page, /MfaFlow/);
    assert.match(page, /Too many wrong verification codes/);
    page = await password(c, signin(GUARDED), carol);
    for (let i = 0; i < 5; i++) page = await answer(c, page, String(200000 + i));
    const blocked = await password(client(), signin(GUARDED), carol);
    assert.doesNotMatch(blocked, /MfaFlow/, 'no further challenge');
    assert.match(blocked, /Too many wrong verification codes/);
    assert.equal((await audit('mfa'))[0]?.reason, 'too-many-failures');
    assert.equal(token(blocked), undefined);
  });
});
