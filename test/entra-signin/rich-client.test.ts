import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpsRequest } from '../entra/https-client.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns, userRealmLookups } from '../entra/signin/log.js';
import { ALICE_IMMUTABLE_ID, ISSUER, federatedTenant, type FederatedTenant } from './fixture.js';
import { get } from './http.js';
import { saml11Assertion, saml2Response, type Saml11Options } from './tokens.js';

const SAML11 = 'urn:ietf:params:oauth:grant-type:saml1_1-bearer';
const SAML2 = 'urn:ietf:params:oauth:grant-type:saml2-bearer';
const CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

const jsonPart = (jwt: string, i = 1) => JSON.parse(Buffer.from(jwt.split('.')[i] ?? '', 'base64url').toString()) as Record<string, unknown>;

describe('Entra double: rich clients (user realm and SAML bearer grants)', () => {
  let d: EntraDouble;
  let f: FederatedTenant;
  before(async () => {
    d = await startEntraDouble();
    f = await federatedTenant({}, d.tenant);
  });
  after(() => d.close());

  const assertion = (o: Partial<Saml11Options> = {}) =>
    saml11Assertion({ key: f.key, issuer: ISSUER, immutableId: ALICE_IMMUTABLE_ID, upn: 'alice@corp.example.com', ...o });
  const grant = (grantType: string, encoded: string) => httpsRequest(`${d.url}/organizations/oauth2/v2.0/token`, {
    method: 'POST', ca: d.caCertPem, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: grantType, assertion: encoded, client_id: CLIENT_ID, client_info: '1',
      scope: 'https://graph.microsoft.com/User.Read openid profile offline_access',
    }).toString(),
  });

  describe('user realm (§6.5)', () => {
    it('answers a federated domain with its MEX and active URLs', async () => {
      const res = await get(d, '/common/userrealm/alice@corp.example.com?api-version=1.0');
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), {
        ver: '1.0', account_type: 'Federated', domain_name: 'corp.example.com', federation_protocol: 'WSTrust',
        federation_metadata_url: f.federation.metadataExchangeUri, federation_active_auth_url: f.federation.activeSignInUri,
        cloud_instance_name: 'microsoftonline.com', cloud_audience_urn: 'urn:federation:MicrosoftOnline',
      });
    });

    it('answers a managed domain as Managed', async () => {
      const body = (await get(d, '/common/userrealm/bob@managed.example.com?api-version=1.0')).json();
      assert.equal(body.account_type, 'Managed');
      assert.equal(body.domain_name, 'managed.example.com');
      assert.equal(body.federation_metadata_url, undefined);
    });

    it('answers an unknown domain 200 with account_type Unknown, not 404', async () => {
      const res = await get(d, '/common/userrealm/eve@nowhere.example.org?api-version=1.0');
      assert.equal(res.status, 200);
      assert.equal(res.json().account_type, 'Unknown');
    });
  });

  describe('SAML bearer grants (§6.8)', () => {
    it('issues MSAL-shaped tokens for a saml1_1-bearer grant in base64url without padding', async () => {
      const res = await grant(SAML11, Buffer.from(assertion()).toString('base64url'));
      assert.equal(res.status, 200, res.text);
      const body = res.json();
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.scope, 'https://graph.microsoft.com/User.Read');
      assert.equal(typeof body.refresh_token, 'string');
      const id = jsonPart(String(body.id_token));
      const config = (await get(d, '/organizations/v2.0/.well-known/openid-configuration')).json();
      assert.deepEqual([id.aud, id.iss, id.oid, id.tid, id.preferred_username], [CLIENT_ID, config.issuer, f.alice.id, d.tenant.id, 'alice@corp.example.com']);
      assert.deepEqual(JSON.parse(Buffer.from(String(body.client_info), 'base64url').toString()), { uid: f.alice.id, utid: d.tenant.id });
      assert.equal(jsonPart(String(body.access_token)).aud, 'https://graph.microsoft.com');
      assert.equal(signIns.at(-1)?.protocol, 'saml1_1-bearer');
    });

    it('accepts standard base64 with padding too (MSAL.NET, AADInternals)', async () => {
      const res = await grant(SAML11, Buffer.from(assertion()).toString('base64'));
      assert.equal(res.status, 200, res.text);
    });

    it('answers a SAML 1.1 assertion in a saml2-bearer grant with invalid_request AADSTS7500514', async () => {
      const res = await grant(SAML2, Buffer.from(assertion()).toString('base64url'));
      assert.equal(res.status, 400);
      assert.deepEqual([res.json().error, res.json().error_codes], ['invalid_request', [7500514]]);
    });

    it('accepts a SAML 2.0 assertion in a saml2-bearer grant', async () => {
      const response = saml2Response({
        key: f.key, issuer: ISSUER, immutableId: ALICE_IMMUTABLE_ID, upn: 'alice@corp.example.com', destination: 'x', inResponseTo: '_x',
      });
      const bare = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(response)?.[0] ?? '';
      const res = await grant(SAML2, Buffer.from(bare).toString('base64url'));
      assert.equal(res.status, 200, res.text);
      assert.equal(jsonPart(String(res.json().id_token)).oid, f.alice.id);
    });

    for (const [what, o, code] of [
      ['an expired assertion', { notBeforeOffset: -7200, lifetime: 3600 }, 50013],
      ['an unknown issuer', { issuer: 'http://evil.example/adfs' }, 50107],
      ['an unknown ImmutableID', { immutableId: 'bm9ib2R5' }, 51004],
      ['a wrong audience', { audience: 'urn:example' }, 50008],
    ] as const) {
      it(`rejects ${what} with invalid_grant AADSTS${code}`, async () => {
        const res = await grant(SAML11, Buffer.from(assertion(o)).toString('base64url'));
        assert.equal(res.status, 400);
        assert.deepEqual([res.json().error, res.json().error_codes], ['invalid_grant', [code]]);
      });
    }
  });

  it('python3-msal\'s user-realm lookup reaches the double and reads Federated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-msal-'));
    try {
      const caFile = join(dir, 'ca.pem');
      await writeFile(caFile, d.caCertPem);
      // MSAL Python 1.21 builds the URL from the authority's hostname without its port
      // (authority.py canonicalize), so the Authority is given the double's host:port directly.
      const script = [
        'import json, sys, requests, msal.authority as a',
        'auth = a.Authority.__new__(a.Authority)',
        'auth.instance = sys.argv[1]',
        'auth._http_client = requests.Session()',
        'print(json.dumps(auth.user_realm_discovery(sys.argv[2], correlation_id="test")))',
      ].join('\n');
      const before = userRealmLookups.length;
      const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, new URL(d.url).host, 'alice@corp.example.com'], {
        env: { ...process.env, REQUESTS_CA_BUNDLE: caFile }, timeout: 30_000,
      });
      const realm = JSON.parse(stdout) as Record<string, unknown>;
      assert.equal(realm.account_type, 'Federated');
      assert.equal(realm.federation_metadata_url, f.federation.metadataExchangeUri);
      const seen = userRealmLookups.slice(before);
      assert.deepEqual(seen.map((l) => [l.upn, l.accept, l.accountType]), [['alice@corp.example.com', 'application/json', 'Federated']]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
