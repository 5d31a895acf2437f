import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { configSchema } from '../../config/schema.js';
import { derToPem, generateCertificate } from '../../keys/certificate.js';
import { makeTestCa, type TestCa } from '../support/pki.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { tempDir } from '../support/tmp.js';

const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };

async function clientCertificate(ca: TestCa, cn: string) {
  const cert = await generateCertificate({ subject: `CN=${cn}`, issuer: ca, validityDays: 2, keyBits: 2048 });
  return { cert: derToPem(cert.certificateDer), key: cert.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

describe('admin listener: client certificates instead of a token', () => {
  let gh: RunningTestGatehouse;
  let ca: TestCa;
  let other: TestCa;

  before(async () => {
    const dir = await tempDir('gatehouse-admin-ca-');
    ca = await makeTestCa('Monitoring CA');
    other = await makeTestCa('Some Other CA');
    await writeFile(join(dir, 'monitoring-ca.pem'), ca.certPem);
    gh = await startTestGatehouse({ directory: { users: [alice] }, extra: { admin: { enabled: true, port: 0, clientCaFile: join(dir, 'monitoring-ca.pem') } } });
  });
  after(() => gh?.stop());

  const get = async (path: string, client?: { cert: string; key: string }) => {
    const agent = new Agent({ connect: { ca: gh.tlsCertPem, ...(client ?? {}) } });
    try {
      const res = await fetch(`https://127.0.0.1:${gh.ops.adminPort}${path}`, { dispatcher: agent });
      return { status: res.status, text: await res.text(), challenge: res.headers.get('www-authenticate') };
    } finally {
      await agent.close();
    }
  };

  it('lets in a client certificate its CA issued', async () => {
    const res = await get('/metrics', await clientCertificate(ca, 'prometheus'));
    assert.equal(res.status, 200);
    assert.match(res.text, /^# HELP gatehouse_/m);
  });

  it('refuses a certificate of another CA, and no certificate at all, and audits both', async () => {
    const foreign = await get('/metrics', await clientCertificate(other, 'intruder'));
    assert.equal(foreign.status, 401);
    assert.equal(foreign.challenge, 'Bearer realm="gatehouse-admin"');
    assert.equal((await get('/health')).status, 401);
    const refused = await gh.runtime.store.audit.recent(5, { type: 'admin.refused' });
    assert.deepEqual(refused.map((e) => e.reason), ['no-credential', 'untrusted-certificate']);
  });
});

describe('admin and alerts config', () => {
  const base = { directory: { kind: 'file', path: 'u.yaml' }, federation: { domains: [{ name: 'corp.example.com' }] }, keys: { keyEncryptionKey: 'k' } };
  const problem = (extra: object) => {
    const r = configSchema.safeParse({ ...base, ...extra });
    return r.success ? undefined : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
  };

  it('is off by default, on loopback, over HTTPS', () => {
    const c = configSchema.parse(base);
    assert.deepEqual(c.admin, { enabled: false, host: '127.0.0.1', port: 9443, https: true });
    assert.equal(c.alerts.webhook, undefined);
    assert.equal(c.alerts.intervalSeconds, 60);
  });

  it('refuses an enabled listener without a credential, a short token, and plain HTTP off loopback', () => {
    assert.equal(problem({ admin: { enabled: true } }), 'admin.token: an enabled admin listener needs a token or a clientCaFile');
    assert.equal(problem({ admin: { enabled: true, token: 'short' } }), 'admin.token: must be at least 32 characters');
    assert.equal(problem({ admin: { enabled: true, token: {env: 'GATEHOUSE_ADMIN_TOKEN'}, host: '10.0.0.5', https: false } }), 'admin.https: plain HTTP only on a loopback host: a bearer token must not cross a network in clear');
    assert.equal(problem({ admin: { enabled: true, token: 'x'.repeat(32), host: '127.0.0.1', https: false } }), undefined);
    assert.equal(problem({ alerts: { webhook: { url: 'ftp://hooks.example/' } } })?.split(':')[0], 'alerts.webhook.url');
  });
});
