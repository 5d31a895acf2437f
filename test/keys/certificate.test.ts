import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { derToPem, generateCertificate, generateSelfSignedCertificate } from '../../keys/certificate.js';
import { makeServerCert, makeTestCa, type TestCa } from '../support/pki.js';
import { tempDir } from '../support/tmp.js';

const run = promisify(execFile);

/** openssl as an independent judge of the chain: its exit code and what it printed. */
async function opensslVerify(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('openssl', ['verify', ...args], { timeout: 30_000 });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const dir = await tempDir();

describe('certificate generation', () => {
  let ca: TestCa;
  let caFile: string;
  before(async () => {
    ca = await makeTestCa('Unit Test CA');
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
  });

  it('keeps a self-signed certificate its own issuer and not a CA', async () => {
    const cert = await generateSelfSignedCertificate({ subject: 'CN=ADFS Signing - sts.corp.example.com', validityDays: 10, keyBits: 2048 });
    const x = new X509Certificate(cert.certificateDer);
    assert.equal(x.subject, 'CN=ADFS Signing - sts.corp.example.com');
    assert.equal(x.issuer, x.subject);
    assert.equal(x.ca, false);
    assert.ok(x.verify(x.publicKey));
    assert.equal(x.fingerprint.replace(/:/g, ''), cert.thumbprint);
  });

  it('issues a server certificate that openssl accepts for its IP and host name against the CA alone', async () => {
    const server = await makeServerCert(ca, { dnsNames: ['dc1.corp.test'], ipAddresses: ['127.0.0.7'] });
    const file = join(dir, 'server.pem');
    await writeFile(file, server.certPem);
    const x = new X509Certificate(server.certPem);
    assert.equal(x.issuer, 'CN=Unit Test CA');
    assert.ok(x.checkIssued(new X509Certificate(ca.certPem)));
    assert.equal(x.checkIP('127.0.0.7'), '127.0.0.7');
    assert.equal(x.checkHost('dc1.corp.test'), 'dc1.corp.test');
    const verdict = await opensslVerify(['-CAfile', caFile, '-purpose', 'sslserver', '-verify_ip', '127.0.0.7', file]);
    assert.ok(verdict.ok, verdict.output);
    assert.equal((await opensslVerify(['-CAfile', caFile, '-verify_ip', '127.0.0.8', file])).ok, false);
  });

  it('makes a certificate issued by another CA fail verification', async () => {
    const stranger = await makeTestCa('Stranger CA');
    const file = join(dir, 'stranger-server.pem');
    await writeFile(file, (await makeServerCert(stranger, { ipAddresses: ['127.0.0.1'] })).certPem);
    const verdict = await opensslVerify(['-CAfile', caFile, file]);
    assert.equal(verdict.ok, false);
    assert.match(verdict.output, /unable to get local issuer certificate/);
  });

  it('refuses a chain whose middle link is an end-entity certificate', async () => {
    const leaf = await generateCertificate({ subject: 'CN=not a CA', issuer: ca, validityDays: 1, keyBits: 2048 });
    assert.equal(new X509Certificate(leaf.certificateDer).ca, false);
    const below = await generateCertificate({ subject: 'CN=below', issuer: leaf, validityDays: 1, keyBits: 2048 });
    const [leafFile, belowFile] = [join(dir, 'leaf.pem'), join(dir, 'below.pem')];
    await writeFile(leafFile, derToPem(leaf.certificateDer));
    await writeFile(belowFile, derToPem(below.certificateDer));
    const verdict = await opensslVerify(['-CAfile', caFile, '-untrusted', leafFile, belowFile]);
    assert.equal(verdict.ok, false);
    assert.match(verdict.output, /invalid CA certificate/);
  });

  it('serves TLS on loopback that a client trusting only the test CA accepts', async () => {
    const tls = await makeServerCert(ca, { ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] });
    const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/', ca: ca.certPem, timeout: 10_000 }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      assert.equal(body, 'hello');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
