import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateValidator } from '../../keys/certificate-validation.js';
import { OcspChecker } from '../../keys/ocsp.js';
import { CrlChecker, revocationCheck } from '../../keys/revocation.js';
import { freePort } from '../support/gatehouse.js';
import { makeCrl, makeTestCa, makeUserCert, type TestCa, type UserCert } from '../support/pki.js';

const fetching = { fetchTimeoutMs: 2000, cacheMs: 60_000 };

/** openssl's OCSP responder (not our code) over an index of the CA's certificates. */
async function startOpensslOcsp(dir: string, port: number, ca: TestCa, good: UserCert[], revoked: UserCert[]): Promise<{ url: string; child: ChildProcess }> {
  const expiry = '491231235959Z';
  const line = (c: UserCert, state: 'V' | 'R') => `${state}\t${expiry}\t${state === 'R' ? '250101000000Z' : ''}\t${c.serial.toUpperCase()}\tunknown\t/CN=user`;
  await writeFile(join(dir, 'index.txt'), [...good.map((c) => line(c, 'V')), ...revoked.map((c) => line(c, 'R'))].join('\n') + '\n');
  await writeFile(join(dir, 'ca.pem'), ca.certPem);
  await writeFile(join(dir, 'ca.key'), ca.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const child = spawn('openssl', ['ocsp', '-index', join(dir, 'index.txt'), '-port', String(port), '-rsigner', join(dir, 'ca.pem'), '-rkey', join(dir, 'ca.key'), '-CA', join(dir, 'ca.pem'), '-ndays', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  // It says so on stderr once it listens (a probe connection would occupy the one-at-a-time server).
  await new Promise<void>((resolve, reject) => {
    let said = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('waiting for OCSP client connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`openssl ocsp exited ${code}: ${said}`)));
  });
  child.stderr!.resume();
  return { url: `http://127.0.0.1:${port}`, child };
}

describe('revocation of user certificates: CRL and OCSP, soft and hard fail', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let crlServer: Server;
  let crlBody: Buffer = Buffer.alloc(0);
  let fetches = 0;
  let crlUrl = '';
  let ocsp: { url: string; child: ChildProcess };
  const certs = {} as Record<'good' | 'revoked' | 'unlisted', UserCert>;
  let dir: string;
  const x = (c: UserCert | TestCa) => new X509Certificate(c.certPem);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-revocation-'));
    ca = await makeTestCa('Revocation Test CA');
    otherCa = await makeTestCa('Revocation Test CA');
    crlServer = createServer((req, res) => {
      fetches++;
      res.writeHead(req.url === '/ca.crl' ? 200 : 404).end(req.url === '/ca.crl' ? crlBody : undefined);
    });
    await new Promise<void>((resolve) => crlServer.listen(0, '127.0.0.1', resolve));
    crlUrl = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}/ca.crl`;
    const ocspPort = await freePort();
    const ocspUrl = `http://127.0.0.1:${ocspPort}`;
    certs.good = await makeUserCert(ca, { subject: 'CN=Good', crlUrl, ocspUrl });
    certs.revoked = await makeUserCert(ca, { subject: 'CN=Revoked', crlUrl, ocspUrl });
    certs.unlisted = await makeUserCert(ca, { subject: 'CN=Unlisted', crlUrl: `${crlUrl}.missing`, ocspUrl: 'http://127.0.0.1:9/' });
    crlBody = await makeCrl(ca, [certs.revoked.serial]);
    ocsp = await startOpensslOcsp(dir, ocspPort, ca, [certs.good], [certs.revoked]);
  });
  after(async () => {
    ocsp?.child.kill();
    await new Promise<void>((resolve) => (crlServer ? crlServer.close(() => resolve()) : resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('reads good and revoked from the distribution point’s CRL, downloading it once', async () => {
    const crl = new CrlChecker({ ...fetching, crlFiles: [] });
    const before = fetches;
    assert.equal((await crl.check(x(certs.good), x(ca))).status, 'good');
    assert.equal((await crl.check(x(certs.revoked), x(ca))).status, 'revoked');
    assert.equal(fetches - before, 1);
  });

  it('uses a configured CRL file for its issuer', async () => {
    const file = join(dir, 'file.crl');
    await writeFile(file, crlBody);
    const crl = new CrlChecker({ ...fetching, crlFiles: [file] });
    const answer = await crl.check(x(certs.revoked), x(ca));
    assert.equal(answer.status, 'revoked');
    assert.match(answer.status === 'revoked' ? answer.source : '', /file:/);
  });

  it('gives no answer for a stale CRL, one signed by another key of the same name, or an unreachable one', async () => {
    const stale = join(dir, 'stale.crl');
    await writeFile(stale, await makeCrl(ca, [], -1));
    const forged = join(dir, 'forged.crl');
    await writeFile(forged, await makeCrl(otherCa, []));
    for (const [file, problem] of [[stale, /stale/], [forged, /not a CRL signed by/]] as const) {
      const answer = await new CrlChecker({ ...fetching, crlFiles: [file] }).check(x(certs.unlisted), x(ca));
      assert.equal(answer.status, 'unknown');
      assert.match(answer.status === 'unknown' ? answer.problem : '', problem);
    }
    const unreachable = await new CrlChecker({ ...fetching, crlFiles: [] }).check(x(certs.unlisted), x(ca));
    assert.equal(unreachable.status, 'unknown');
  });

  it('asks openssl’s OCSP responder: good, revoked; no answer when it is down', async () => {
    const checker = new OcspChecker(fetching);
    assert.deepEqual(await checker.check(x(certs.good), x(ca)), { status: 'good', source: `ocsp ${ocsp.url}` });
    assert.equal((await checker.check(x(certs.revoked), x(ca))).status, 'revoked');
    assert.equal((await checker.check(x(certs.unlisted), x(ca))).status, 'unknown');
    // A responder signing with another key of the same CA name is not believed.
    const impostor = await makeTestCa('Revocation Test CA');
    assert.equal((await new OcspChecker(fetching).check(x(certs.good), x(impostor))).status, 'unknown');
  });

  it('hard-fail refuses and soft-fail accepts (as unchecked) when no revocation answer can be had; both = OCSP, else CRL', async () => {
    const chain = (c: UserCert) => ({ chain: [c.certDer, ca.certificateDer] });
    const crl = new CrlChecker({ ...fetching, crlFiles: [] });
    const oc = new OcspChecker(fetching);
    const hard = new CertificateValidator({ failMode: 'hard', revocation: revocationCheck('both', crl, oc) });
    const soft = new CertificateValidator({ failMode: 'soft', revocation: revocationCheck('crl', crl, oc) });
    assert.deepEqual(await hard.validate(chain(certs.good)), { ok: true, der: certs.good.certDer, revocation: 'good' });
    assert.equal((await hard.validate(chain(certs.revoked))).ok, false);
    const refused = await hard.validate(chain(certs.unlisted));
    assert.equal(refused.ok === false && refused.reason, 'revocation-unavailable');
    const alone = await hard.validate({ chain: [certs.good.certDer] });
    assert.equal(alone.ok === false && alone.reason, 'revocation-unavailable', 'a leaf without its issuer is not taken as good');
    const accepted = await soft.validate(chain(certs.unlisted));
    assert.equal(accepted.ok && accepted.revocation, 'unchecked');
    assert.equal((await soft.validate(chain(certs.revoked))).ok, false, 'soft-fail still refuses a revoked certificate');
    ocsp.child.kill();
    await new Promise((r) => setTimeout(r, 200));
    const viaCrl = await new CertificateValidator({ failMode: 'hard', revocation: revocationCheck('both', crl, new OcspChecker(fetching)) }).validate(chain(certs.revoked));
    assert.equal(viaCrl.ok === false && viaCrl.reason, 'certificate-revoked', 'with OCSP down, both falls back to the CRL');
  });
});
