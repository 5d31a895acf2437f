import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { derToPem, generateCertificate } from '../../keys/certificate.js';
import { unsealPrivateKey } from '../../keys/keystore.js';
import { Secret, TOTP } from 'otpauth';
import type { DirectoryUser } from '../../directory/types.js';
import { TotpProvider } from '../../sts/signin/mfa/totp.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import type { Domain } from '../entra/tenant.js';
import { gatehouse } from '../support/cli.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { send } from '../wstrust/client.js';
import { xmlsecVerify } from '../xml/xmlsec1.js';

const run = promisify(execFile);
const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };
const SAML11_ID = { attr: 'AssertionID', ns: 'urn:oasis:names:tc:SAML:1.0:assertion', element: 'Assertion' };

describe('gatehouse keys against a running server and the Entra double', () => {
  let dir: string;
  let entra: EntraDouble;
  let gh: RunningTestGatehouse;
  let domain: Domain;
  let config: string;
  let imported: Awaited<ReturnType<typeof generateCertificate>>;
  const pfxEnv = { GATEHOUSE_TEST_PFX_PASSWORD: 'Pfx-pass-1' };

  const keys = (...args: string[]) => gatehouse(['keys', ...args, '-c', config], pfxEnv);
  const status = async () => {
    const res = await keys('status', '--json');
    return { code: res.code, report: JSON.parse(res.stdout) as { entraInStep?: boolean; problems: string[]; keys: { thumbprint: string; state: string; entra?: { domain: string; knows: boolean }[] }[] } };
  };

  after(async () => {
    await gh?.stop();
    await entra?.close();
    await rm(dir, { recursive: true, force: true });
  });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-keys-cli-'));
    entra = await startEntraDouble();
    entra.tenant.addDomain('corp.example.com');
    entra.tenant.addUser({ userPrincipalName: alice.upn, displayName: 'Alice', onPremisesImmutableId: 'RDMiEWZViHeZqrvM3e7/AA==' });
    const app = await entra.tenant.addApp({ roles: ['Domain-InternalFederation.ReadWrite.All'] });
    const caFile = join(dir, 'graph-ca.pem');
    await writeFile(caFile, entra.caCertPem);
    gh = await startTestGatehouse({
      directory: { users: [alice] },
      entraReplyUrl: `${entra.url}/login.srf`,
      extra: {
        keys: { keyEncryptionKey: Buffer.alloc(32, 9).toString('base64'), refreshSeconds: 1 },
        graph: { tenantId: entra.tenant.id, clientId: app.clientId, clientSecret: app.secret, authorityHost: entra.url, graphUrl: entra.url, caFile },
      },
    });
    config = join(gh.dir, 'gatehouse.yaml');
    const cert = await gh.signingCertificate();
    entra.tenant.federate('corp.example.com', { issuerUri: 'http://corp.example.com/adfs/services/trust/', passiveSignInUri: `${gh.url}/adfs/ls/`, signingCertificate: cert.base64Der });
    domain = entra.tenant.domains.get('corp.example.com')!;
    // A certificate from the operator's own CA, packed by OpenSSL.
    const ca = await generateCertificate({ subject: 'CN=Corp Issuing CA', validityDays: 365, keyBits: 2048, ca: true });
    imported = await generateCertificate({ subject: 'CN=sts.corp.example.com token signing', validityDays: 365, keyBits: 3072, issuer: ca });
    await writeFile(join(dir, 'signing.crt'), derToPem(imported.certificateDer) + derToPem(ca.certificateDer));
    await writeFile(join(dir, 'signing.key'), imported.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await run('openssl', ['pkcs12', '-export', '-in', join(dir, 'signing.crt'), '-inkey', join(dir, 'signing.key'), '-out', join(dir, 'signing.pfx'), '-passout', `pass:${pfxEnv.GATEHOUSE_TEST_PFX_PASSWORD}`]);
    await rm(join(dir, 'signing.key'));
  });

  it('imports a PFX as next; the running server writes it to Entra as nextSigningCertificate', async () => {
    const res = await keys('import', join(dir, 'signing.pfx'), '--password-env', 'GATEHOUSE_TEST_PFX_PASSWORD', '--state', 'next');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^imported ${imported.thumbprint} \\(signing, next\\); the file's other 1 certificate\\(s\\), its chain, are not needed`));
    await gh.runtime.keyCycle();
    assert.equal(domain.federation?.nextSigningCertificate, imported.certificateDer.toString('base64'));
    const { code, report } = await status();
    assert.equal(code, 0, JSON.stringify(report));
    assert.equal(report.entraInStep, true);
    assert.deepEqual(report.keys.find((k) => k.thumbprint === imported.thumbprint)?.entra, [{ domain: 'corp.example.com', knows: true }]);
  });

  it('keeps no private key in plaintext in the store files', async () => {
    // The private exponent and a prime: key material no certificate carries.
    const jwk = imported.privateKey.export({ format: 'jwk' });
    const secrets = [Buffer.from(jwk.d!, 'base64url'), Buffer.from(jwk.p!, 'base64url'), Buffer.from(imported.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString().split('\n')[1]!)];
    const dbDir = dirname(gh.config.store.sqlitePath);
    const files = (await readdir(dbDir)).filter((f) => f.startsWith('gatehouse.db'));
    assert.ok(files.length >= 2, `store files in ${dbDir}: ${files.join(', ')}`);
    let seenCertificate = false;
    for (const f of files) {
      // Read by another process: closing a descriptor of the database file in this process would
      // drop the in-process server's SQLite locks (POSIX advisory locks are per process).
      const { stdout: bytes } = await run('cat', [join(dbDir, f)], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
      for (const secret of secrets) assert.equal(bytes.indexOf(secret.subarray(0, 48)), -1, `${f} holds key material`);
      seenCertificate ||= bytes.indexOf(imported.certificateDer.subarray(0, 48)) >= 0;
    }
    assert.ok(seenCertificate, 'the search does find what is stored in the clear: the public certificate');
  });

  it('reports Entra out of step when its settings change behind Gatehouse’s back, and refuses to promote until fixed', async () => {
    domain.federation!.nextSigningCertificate = null;
    const { code, report } = await status();
    assert.equal(code, 1);
    assert.equal(report.entraInStep, false);
    assert.ok(report.problems.some((p) => p.includes(imported.thumbprint) && p.includes('corp.example.com')), report.problems.join('\n'));
    const refused = await keys('promote', imported.thumbprint);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`Entra does not know ${imported.thumbprint} yet for corp.example.com`));
    assert.equal((await status()).report.keys.find((k) => k.thumbprint === imported.thumbprint)?.state, 'next', 'nothing changed');

    domain.federation!.nextSigningCertificate = imported.certificateDer.toString('base64');
    const promoted = await keys('promote', imported.thumbprint);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(domain.federation?.signingCertificate, imported.certificateDer.toString('base64'), 'Entra was told at once');
  });

  it('signs with the imported certificate without a restart: xmlsec1 verifies the token with the exported PEM', async () => {
    await gh.runtime.keyCycle();
    assert.equal(gh.runtime.keys.signer().thumbprint, imported.thumbprint, 'the server follows the promotion');
    const exported = await keys('export', imported.thumbprint);
    assert.equal(exported.code, 0);
    assert.equal(exported.stdout, derToPem(imported.certificateDer));
    const der = await keys('export', imported.thumbprint, '--format', 'der', '--out', join(dir, 'exported.cer'));
    assert.equal(der.code, 0);
    assert.deepEqual(await readFile(join(dir, 'exported.cer')), imported.certificateDer);
    const res = await send(gh, 'msal-python-13', { username: alice.upn, password: alice.password });
    assert.equal(res.status, 200, res.text);
    const verified = await xmlsecVerify(res.text, exported.stdout, SAML11_ID);
    assert.ok(verified.ok, verified.output);
  });

  it('retires the previous certificate but never the active one, and re-seals every key under a new key-encryption key', async () => {
    const previous = (await status()).report.keys.find((k) => k.state === 'previous')!;
    assert.equal((await keys('retire', imported.thumbprint)).code, 1, 'the active one stays');
    const retired = await keys('retire', previous.thumbprint);
    assert.equal(retired.code, 0, retired.stderr);
    const newKek = randomBytes(32);
    const rekey = () => gatehouse(['keys', 'rekey', '--new-key-env', 'GATEHOUSE_NEW_KEK', '-c', config], { GATEHOUSE_NEW_KEK: newKek.toString('base64') });
    const whileRunning = await rekey();
    assert.equal(whileRunning.code, 1);
    assert.match(whileRunning.stderr, /a Gatehouse node is running on this store .*: stop every node, then rekey/);
    await gh.stop({ keepFiles: true });
    // An authenticator enrolled under the old key must keep working under the new one.
    const oldKek = Buffer.from(String(gh.config.keys.keyEncryptionKey), 'base64');
    const someone = { objectGuid: '31223344-5566-7788-99aa-bbccddeeff00', upn: 'dave@corp.example.com' } as unknown as DirectoryUser;
    const secret = new Secret({ size: 20 }).base32;
    const code = (ms: number) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: ms });
    await gh.runtime.audit.flush();
    const before = sqliteStore(gh.config.store.sqlitePath);
    assert.deepEqual(await new TotpProvider({ store: before.mfa, kek: oldKek, issuer: 'x', driftSteps: 1 }).enrol(someone, secret, code(Date.now() - 30_000)), { ok: true });
    await before.close();
    const rekeyed = await rekey();
    assert.equal(rekeyed.code, 0, rekeyed.stderr);
    assert.match(rekeyed.stdout, /re-sealed 2 private keys and 1 authenticator secrets/);
    await gh.runtime.audit.flush();
    const store = sqliteStore(gh.config.store.sqlitePath);
    try {
      assert.deepEqual(await new TotpProvider({ store: store.mfa, kek: newKek, issuer: 'x', driftSteps: 1 }).verify(someone, '', code(Date.now())), { ok: true });
      for (const k of await store.keys.list()) {
        assert.doesNotThrow(() => unsealPrivateKey(k.sealedPrivateKey, newKek, k.id));
        assert.throws(() => unsealPrivateKey(k.sealedPrivateKey, Buffer.alloc(32, 9), k.id), /cannot decrypt/);
      }
    } finally {
      await store.close();
    }
  });
});
