import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import type { SeededApp } from '../entra/tenant.js';
import { newClientCertificate } from '../entra/certs.js';
import { signRs256 } from '../entra/jwt.js';
import { httpsRequest } from '../entra/https-client.js';
import { GRAPH_SCOPE, postToken, tokenFor } from './client.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('Entra double token endpoint (client credentials)', () => {
  let double: EntraDouble;
  let app: SeededApp;
  let tokenUrl: string;
  before(async () => {
    double = await startEntraDouble();
    app = await double.tenant.addApp({ roles: ['User.Read.All'] });
    tokenUrl = `${double.url}/${double.tenant.id}/oauth2/v2.0/token`;
  });
  after(() => double.close());

  const assertion = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, keyPem = app.certificate.privateKeyPem) => {
    const now = Math.floor(Date.now() / 1000);
    return signRs256({ x5t: Buffer.from(app.certificate.thumbprintSha1, 'hex').toString('base64url'), ...header },
      { aud: tokenUrl, iss: app.clientId, sub: app.clientId, jti: randomUUID(), nbf: now, exp: now + 600, ...claims }, createPrivateKey(keyPem));
  };
  const withAssertion = (jwt: string) => ({ grant_type: 'client_credentials', client_id: app.clientId, scope: GRAPH_SCOPE, client_assertion_type: ASSERTION_TYPE, client_assertion: jwt });
  const aadsts = async (form: Record<string, string>, tenant?: string) => {
    const res = await postToken(double, form, tenant);
    const body = res.json<{ error: string; error_codes: number[]; error_description: string; trace_id: string; correlation_id: string }>();
    assert.match(body.error_description, new RegExp(`^AADSTS${body.error_codes[0]}: `));
    assert.ok(body.trace_id && body.correlation_id);
    return { status: res.status, error: body.error, code: body.error_codes[0] };
  };

  for (const credential of ['secret', 'certificate-sha1', 'certificate-sha256'] as const) {
    it(`issues a Graph token to msal-node with a ${credential} and Graph accepts it`, async () => {
      const token = await tokenFor(double, app, credential);
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
      assert.equal(claims.aud, 'https://graph.microsoft.com');
      assert.equal(claims.appid, app.clientId);
      assert.deepEqual(claims.roles, ['User.Read.All']);
      const res = await httpsRequest(`${double.url}/v1.0/users`, { ca: double.caCertPem, headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
    });
  }

  it('accepts an assertion reused until it expires, as msal-node sends it', async () => {
    const jwt = assertion();
    assert.equal((await postToken(double, withAssertion(jwt))).status, 200);
    assert.equal((await postToken(double, withAssertion(jwt))).status, 200);
  });

  it('answers an unknown client id with AADSTS700016', async () => {
    assert.deepEqual(await aadsts({ grant_type: 'client_credentials', client_id: randomUUID(), scope: GRAPH_SCOPE, client_secret: 'x' }),
      { status: 400, error: 'unauthorized_client', code: 700016 });
  });

  it('answers a wrong client secret with AADSTS7000215', async () => {
    assert.deepEqual(await aadsts({ grant_type: 'client_credentials', client_id: app.clientId, scope: GRAPH_SCOPE, client_secret: `${app.secret}x` }),
      { status: 401, error: 'invalid_client', code: 7000215 });
  });

  it('answers a request with no credential with AADSTS7000218', async () => {
    assert.equal((await aadsts({ grant_type: 'client_credentials', client_id: app.clientId, scope: GRAPH_SCOPE })).code, 7000218);
  });

  it('refuses a scope without /.default (AADSTS70011) and another resource (AADSTS500011)', async () => {
    const base = { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.secret };
    assert.deepEqual(await aadsts({ ...base, scope: 'https://graph.microsoft.com/User.Read.All' }), { status: 400, error: 'invalid_scope', code: 70011 });
    assert.deepEqual(await aadsts({ ...base, scope: 'https://management.azure.com/.default' }), { status: 400, error: 'invalid_resource', code: 500011 });
  });

  it('answers an unknown tenant with AADSTS90002 and a malformed one with AADSTS900023', async () => {
    const form = { grant_type: 'client_credentials', client_id: app.clientId, scope: GRAPH_SCOPE, client_secret: app.secret };
    assert.equal((await aadsts(form, randomUUID())).code, 90002);
    assert.equal((await aadsts(form, 'not_a_tenant')).code, 900023);
    assert.equal((await aadsts(form, 'common')).code, 9001023);
  });

  it('takes the tenant by one of its domain names too', async () => {
    const res = await postToken(double, { grant_type: 'client_credentials', client_id: app.clientId, scope: GRAPH_SCOPE, client_secret: app.secret }, double.tenant.initialDomain);
    assert.equal(res.status, 200);
  });

  it('refuses an unsupported grant type with AADSTS70003', async () => {
    assert.deepEqual(await aadsts({ grant_type: 'urn:example:nothing', client_id: app.clientId }), { status: 400, error: 'unsupported_grant_type', code: 70003 });
  });

  it('refuses an assertion whose audience is not the token endpoint', async () => {
    assert.equal((await aadsts(withAssertion(assertion({ aud: `${double.url}/common/oauth2/v2.0/token` })))).code, 50027);
  });

  it('refuses an expired assertion with AADSTS700024', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    assert.equal((await aadsts(withAssertion(assertion({ nbf: past - 600, exp: past })))).code, 700024);
  });

  it('refuses an assertion whose issuer is not the client id (AADSTS700021) or whose sub differs (AADSTS50048)', async () => {
    assert.equal((await aadsts(withAssertion(assertion({ iss: randomUUID() })))).code, 700021);
    assert.equal((await aadsts(withAssertion(assertion({ sub: randomUUID() })))).code, 50048);
  });

  it('refuses an assertion without jti as malformed (AADSTS50027)', async () => {
    assert.equal((await aadsts(withAssertion(assertion({ jti: undefined })))).code, 50027);
  });

  it('refuses an assertion signed by another key under the registered thumbprint (AADSTS700027)', async () => {
    const other = await newClientCertificate('intruder');
    assert.deepEqual(await aadsts(withAssertion(assertion({}, {}, other.privateKeyPem))), { status: 401, error: 'invalid_client', code: 700027 });
  });

  it('refuses an assertion naming an unregistered certificate (AADSTS700027)', async () => {
    const other = await newClientCertificate('unregistered');
    const jwt = assertion({}, { x5t: Buffer.from(other.thumbprintSha1, 'hex').toString('base64url') }, other.privateKeyPem);
    assert.equal((await aadsts(withAssertion(jwt))).code, 700027);
  });

  it('makes Graph refuse a missing or tampered token with 401 InvalidAuthenticationToken', async () => {
    const token = await tokenFor(double, app);
    for (const authorization of [undefined, `Bearer ${token.slice(0, -4)}AAAA`]) {
      const res = await httpsRequest(`${double.url}/v1.0/users`, { ca: double.caCertPem, headers: authorization ? { authorization } : {} });
      assert.equal(res.status, 401);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'InvalidAuthenticationToken');
      assert.ok(res.headers['request-id']);
    }
  });

  it('makes Graph refuse a call the token has no role for with 403 Authorization_RequestDenied', async () => {
    const token = await tokenFor(double, app);
    const res = await httpsRequest(`${double.url}/v1.0/groups`, { ca: double.caCertPem, headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 403);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'Authorization_RequestDenied');
  });
});
