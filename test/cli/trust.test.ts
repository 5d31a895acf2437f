import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse } from '../support/cli.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { makeTestCert } from '../support/pki.js';
import { samlifySpMetadata, signMetadata, startMetadataServer } from '../support/sp-metadata.js';
import { decode, postLogin, readForm, WebClient } from '../support/web-client.js';

const RELOAD_SECONDS = 1;
const PAYROLL = 'urn:app:payroll';
// A WS-Federation application's metadata (WS-Federation 1.2 §3.1.2.2), as WIF / ASP.NET publish it.
const payrollMetadata = (reply: string) => `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${PAYROLL}">
  <RoleDescriptor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" xsi:type="fed:ApplicationServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706">
    <fed:PassiveRequestorEndpoint><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>${reply}</wsa:Address></wsa:EndpointReference></fed:PassiveRequestorEndpoint>
  </RoleDescriptor>
</EntityDescriptor>`;

/** Polls until `check` holds, up to three reload intervals: what "takes effect within reloadSeconds" allows. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 3 * RELOAD_SECONDS * 1000 + 2000) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${3 * RELOAD_SECONDS} s: ${what}`);
}

describe('gatehouse trust list | show | add | remove beside a running server', () => {
  let gh: RunningTestGatehouse;
  let metadata: Awaited<ReturnType<typeof startMetadataServer>>;
  let dir: string;
  const trust = (...args: string[]) => gatehouse(['trust', ...args, '-c', join(gh.dir, 'gatehouse.yaml')]);
  const signInUrl = (realm: string) => `${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=${encodeURIComponent(realm)}`;
  const loginPageFor = async (realm: string) => (await new WebClient([gh.tlsCertPem]).get(signInUrl(realm))).status;

  before(async () => {
    metadata = await startMetadataServer();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-trust-cli-'));
    await writeFile(join(dir, 'ca.pem'), metadata.caPem);
    metadata.documents.set('/payroll.xml', payrollMetadata('https://payroll.example.org/signin'));
    gh = await startTestGatehouse({
      directory: { users: [{ upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '0e5b6d2c-5d7b-4c4e-9d2a-6f0b5c1d2e3f' }] },
      trusts: [{ identifier: 'urn:app:configured', name: 'Configured', replyUrls: ['https://configured.example.org/'] }],
      extra: { partnerMetadata: { reloadSeconds: RELOAD_SECONDS, caFile: join(dir, 'ca.pem') } },
    });
  });
  after(async () => {
    await gh?.stop();
    await metadata?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds a trust from a metadata URL that the running server honours within reloadSeconds: a real sign-in posts the token to the reply URL from the metadata', async () => {
    assert.equal(await loginPageFor(PAYROLL), 400, 'unknown before it is added');
    const added = await trust('add', '--metadata', metadata.url('/payroll.xml'), '--name', 'Payroll');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, `added trust ${PAYROLL} (Payroll), version 1; running nodes use it within ${RELOAD_SECONDS} s\n`);
    await eventually(async () => (await loginPageFor(PAYROLL)) === 200, 'the server shows the login page for the new realm');
    const res = await postLogin(new WebClient([gh.tlsCertPem]), gh.url, 'alice@corp.example.com', 'Passw0rd!', `/adfs/ls/?wa=wsignin1.0&wtrealm=${PAYROLL}`);
    const form = readForm(await res.text());
    assert.equal(form.action, 'https://payroll.example.org/signin');
    assert.match(decode(form.fields.wresult ?? ''), new RegExp(`<wsp:AppliesTo[^>]*>.*${PAYROLL}`));
  });

  it('replaces the trust when the same entityID is added again, and the server uses the new reply URL', async () => {
    metadata.documents.set('/payroll-v2.xml', payrollMetadata('https://payroll2.example.org/signin'));
    const again = await trust('add', '--metadata', metadata.url('/payroll-v2.xml'));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^replaced trust urn:app:payroll \(urn:app:payroll\), version 2;/);
    await eventually(async () => {
      const page = await new WebClient([gh.tlsCertPem]).get(`${signInUrl(PAYROLL)}&wreply=${encodeURIComponent('https://payroll2.example.org/signin')}`);
      return page.status === 200;
    }, 'the new reply URL is accepted');
  });

  it('lists config and stored trusts with their source and last refresh, and shows one', async () => {
    const list = await trust('list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { identifier: string; source: string; version?: number; lastRefresh?: { ok: boolean; message: string } }[];
    assert.deepEqual(rows.map((r) => [r.identifier, r.source, r.version]), [
      ['urn:federation:MicrosoftOnline', 'config', undefined],
      ['urn:app:configured', 'config', undefined],
      [PAYROLL, metadata.url('/payroll-v2.xml'), 2],
    ]);
    assert.deepEqual(rows[2]?.lastRefresh && [rows[2].lastRefresh.ok, rows[2].lastRefresh.message], [true, `fetched ${metadata.url('/payroll-v2.xml')}`]);
    const text = await trust('list');
    assert.match(text.stdout, /^urn:app:payroll {2}urn:app:payroll {2}\[wsfed\] {2}https:\/\/localhost:\d+\/payroll-v2\.xml {2}v2 {2}last refresh \S+ ok$/m);
    const show = await trust('show', 'URN:APP:PAYROLL', '--json');
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual((JSON.parse(show.stdout) as { trust: { replyUrls: string[] } }).trust.replyUrls, ['https://payroll2.example.org/signin']);
    assert.equal((await trust('show', 'urn:nobody')).code, 1);
  });

  it('adds a SAML SP from signed metadata with --signing-cert, and refuses the same metadata tampered with, or a trust the config defines', async () => {
    const operator = await makeTestCert('Metadata signer');
    await writeFile(join(dir, 'signer.pem'), operator.certPem);
    const sp = await samlifySpMetadata({ entityId: 'https://wiki.example.org/saml' , acs: 'https://wiki.example.org' });
    const signed = signMetadata(sp.xml, operator);
    metadata.documents.set('/wiki-tampered.xml', signed.replace('https://wiki.example.org/acs"', 'https://evil.example.net/acs"'));
    const tampered = await trust('add', '--metadata', metadata.url('/wiki-tampered.xml'), '--signing-cert', join(dir, 'signer.pem'));
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /^gatehouse: the metadata signature is not valid for the configured signing certificate: invalid: the signed content was changed\n$/);
    await writeFile(join(dir, 'wiki.xml'), signed);
    const ok = await trust('add', '--metadata', join(dir, 'wiki.xml'), '--signing-cert', join(dir, 'signer.pem'), '--sign', 'response', '--allow-idp-initiated');
    assert.equal(ok.code, 0, ok.stderr);
    const shown = JSON.parse((await trust('show', 'https://wiki.example.org/saml', '--json')).stdout) as { source: string; protocols: string[]; trust: { saml: { sign: string; allowIdpInitiated: boolean; requireSignedRequests: boolean } } };
    assert.deepEqual([shown.source, shown.protocols, shown.trust.saml.sign, shown.trust.saml.allowIdpInitiated, shown.trust.saml.requireSignedRequests], [`file ${join(dir, 'wiki.xml')}`, ['wsfed', 'saml2'], 'both', true, true]);

    metadata.documents.set('/configured.xml', payrollMetadata('https://x.example.org/').replace(PAYROLL, 'urn:app:configured'));
    const clash = await trust('add', '--metadata', metadata.url('/configured.xml'));
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /the config defines a trust with the identifier urn:app:configured/);
    assert.equal((await trust('remove', 'urn:app:configured')).code, 1);
  });

  it('removes a stored trust, which the running server then refuses within reloadSeconds', async () => {
    const removed = await trust('remove', PAYROLL);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `removed trust ${PAYROLL}; running nodes stop using it within ${RELOAD_SECONDS} s\n`);
    await eventually(async () => (await loginPageFor(PAYROLL)) === 400, 'the removed realm is refused again');
    assert.equal((await trust('remove', PAYROLL)).code, 1);
  });
});
