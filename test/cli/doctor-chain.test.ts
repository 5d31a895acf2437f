import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../config/schema.js';
import { generateSelfSignedCertificate } from '../../keys/certificate.js';
import { sealPrivateKey } from '../../keys/keystore.js';
import { generateSigningKey } from '../../keys/signing-keys.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { getTestBed, type TestBed } from '../ad/testbed.js';
import { sambaObjectGuidBase64 } from '../directory/helpers.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { gatehouse } from '../support/cli.js';
import { graphSectionFor } from '../support/entra-graph-config.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { makeServerCert, makeTestCa, type TestCa } from '../support/pki.js';

const DOMAIN = 'corp.example.com';
// startTestGatehouse's key-encryption key: the doctor's config reads the same store.
const KEK = Buffer.alloc(32, 3);

let bed: TestBed;
let entra: EntraDouble;
let gh: RunningTestGatehouse;
let dir: string;
let graph: NonNullable<ConfigInput['graph']>;
/** The public URL and port every server of this file answers at, and the one store they share. */
let publicUrl: string;
let port: number;
let storePath: string;
let tlsFiles: { certFile: string; keyFile: string };
/** The CA of every TLS certificate a server of this file presents; the CLI trusts it through NODE_EXTRA_CA_CERTS. */
let ca: TestCa;
let trusted: string;

interface Report { worst: string; checks: { part: string; status: string; detail: string; fix?: string }[] }

/** Writes a TLS certificate for localhost of `days` validity from the test CA; returns its files. */
async function tls(name: string, days: number) {
  const t = await makeServerCert(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }, days);
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await writeFile(certFile, t.certPem);
  await writeFile(keyFile, t.keyPem);
  return { certFile, keyFile };
}

/** (Re)starts Gatehouse at `publicUrl` with this TLS certificate and store, listening on `listenPort`. */
async function serve(o: { tls?: { certFile: string; keyFile: string }; store?: string; listenPort?: number } = {}): Promise<void> {
  await gh?.stop();
  gh = await startTestGatehouse({
    directory: testBedDirectory(bed, bed.caCertPath),
    domains: [DOMAIN],
    extra: {
      store: { sqlitePath: o.store ?? storePath },
      server: {
        ...(publicUrl ? { publicUrl, listen: { host: '127.0.0.1', port: o.listenPort ?? port } } : {}),
        tls: o.tls ?? { certFile: tlsFiles.certFile, keyFile: tlsFiles.keyFile },
      },
    },
  });
}

/** The operator's config of that Gatehouse, with Graph access and the test user; `over` changes the directory or store. */
async function doctorConfig(name: string, over: { dcs?: string[]; store?: string } = {}): Promise<string> {
  const file = join(dir, name);
  const alice = bed.users.alice!;
  const directory = testBedDirectory(bed, bed.caCertPath);
  const input: ConfigInput = {
    server: { publicUrl },
    directory: { ...directory, ...(over.dcs ? { dcs: over.dcs, connectTimeoutMs: 500 } : {}) } as ConfigInput['directory'],
    federation: { domains: [{ name: DOMAIN }] },
    keys: { keyEncryptionKey: KEK.toString('base64') },
    store: { sqlitePath: over.store ?? storePath },
    graph,
    doctor: { testUser: { upn: alice.upn, password: alice.password } },
  };
  await writeFile(file, stringify(input));
  return file;
}

async function doctor(config: string, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<{ code: number; report: Report; stdout: string }> {
  const res = await gatehouse(['doctor', '-c', config, '--json', ...args], { NODE_EXTRA_CA_CERTS: trusted, ...env });
  try {
    return { code: res.code, report: JSON.parse(res.stdout) as Report, stdout: res.stdout };
  } catch {
    throw new Error(`doctor printed no JSON: ${res.stdout}${res.stderr}`);
  }
}

/** Only `name` is not a pass, and it is `status`; every other check passes. */
function onlyFault(r: { report: Report; stdout: string }, name: string, status: 'warn' | 'fail'): Report['checks'][number] {
  const named = r.report.checks.find((c) => c.part === name);
  assert.equal(named?.status, status, r.stdout);
  assert.ok(named.fix, 'a fix in one line');
  assert.deepEqual(r.report.checks.filter((c) => c.part !== name && c.status !== 'pass').map((c) => `${c.part}: ${c.detail}`), []);
  return named;
}

async function apply(config: string): Promise<void> {
  const res = await gatehouse(['federation', 'apply', '-c', config]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
}

describe('gatehouse doctor walks the whole chain (Samba AD, a real Gatehouse, the Entra double)', () => {
  let healthy: string;
  before(async () => {
    bed = await getTestBed();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-doctor-chain-'));
    storePath = join(dir, 'shared.db');
    ca = await makeTestCa('Doctor Test CA');
    trusted = join(dir, 'ca.pem');
    await writeFile(trusted, ca.certPem);
    tlsFiles = await tls('long', 200);
    entra = await startEntraDouble();
    entra.tenant.addDomain(DOMAIN);
    entra.tenant.addUser({ userPrincipalName: bed.users.alice!.upn, onPremisesImmutableId: (await sambaObjectGuidBase64(bed, 'alice')).base64 });
    graph = await graphSectionFor(entra, dir);
    await serve();
    publicUrl = gh.url;
    port = Number(new URL(gh.url).port);
    healthy = await doctorConfig('healthy.yaml');
    await apply(healthy);
  });
  after(async () => {
    await gh?.stop();
    await entra?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes on the test bed with at least ten checks, exit 0', async () => {
    const r = await doctor(healthy);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.report.worst, 'pass', r.stdout);
    assert.ok(r.report.checks.length >= 10, r.stdout);
    assert.deepEqual(r.report.checks.map((c) => c.part), [
      'config', 'store', `directory ${bed.ldapsUrl}`, 'clock', 'extranet lockout vs AD lockout', 'signing certificate', 'certificate rollover', 'tls certificate', 'probe', 'metadata',
      'graph', `entra federation ${DOMAIN}`, 'sync', 'synthetic sign-in',
    ]);
    assert.match(r.report.checks.find((c) => c.part === 'synthetic sign-in')!.detail, /^alice@corp\.example\.com got a token: Issuer http:\/\/corp\.example\.com\/adfs\/services\/trust\/, audience urn:federation:MicrosoftOnline, ImmutableID \S+, signed by [0-9A-F]{40}$/);
    const text = await gatehouse(['doctor', '-c', healthy], { NODE_EXTRA_CA_CERTS: trusted });
    assert.match(text.stdout, /^ok +config: /);
  });

  it('a DC that is down: only its directory check fails, exit 1', async () => {
    const r = await doctor(await doctorConfig('dc-down.yaml', { dcs: [bed.ldapsUrl, 'ldaps://127.0.0.1:1'] }));
    assert.equal(r.code, 1);
    onlyFault(r, 'directory ldaps://127.0.0.1:1', 'fail');
  });

  it('Entra’s issuerUri changed: only the federation check fails, naming the field', async () => {
    const fed = entra.tenant.domains.get(DOMAIN)!.federation!;
    fed.issuerUri = 'http://corp.example.com/adfs/services/trust';
    try {
      const r = await doctor(healthy);
      assert.match(onlyFault(r, `entra federation ${DOMAIN}`, 'fail').detail, /^issuerUri "http:\/\/corp\.example\.com\/adfs\/services\/trust" in Entra, "http:\/\/corp\.example\.com\/adfs\/services\/trust\/" here$/);
    } finally {
      await apply(healthy);
    }
  });

  it('a test user Entra does not have: only the synthetic sign-in fails, with Entra’s AADSTS51004', async () => {
    const alice = entra.tenant.findUserByUpn(bed.users.alice!.upn)!;
    const immutableId = alice.onPremisesImmutableId;
    alice.onPremisesImmutableId = 'c29tZW9uZS1lbHNl';
    try {
      const r = await doctor(healthy);
      assert.match(onlyFault(r, 'synthetic sign-in', 'fail').detail, /^Entra has no user with ImmutableID \S+ \(Entra: AADSTS51004\)$/);
    } finally {
      alice.onPremisesImmutableId = immutableId;
    }
  });

  it('clock skew (test hook): only the clock check fails, and a smaller one warns with exit 3', async () => {
    const far = await doctor(healthy, { GATEHOUSE_DOCTOR_CLOCK_OFFSET_MS: String(10 * 60_000) });
    assert.match(onlyFault(far, 'clock', 'fail').detail, /^(599|600|601) s ahead of ldaps:/);
    const near = await doctor(healthy, { GATEHOUSE_DOCTOR_CLOCK_OFFSET_MS: String(-90_000) });
    assert.equal(near.code, 3);
    assert.match(onlyFault(near, 'clock', 'warn').detail, /^(89|90|91) s behind /);
  });

  it('metadata unreachable behind a front end that serves everything else: only the metadata check fails', async () => {
    // Gatehouse moves to another port; a front end at the public URL passes all but the metadata on.
    const inner = await tls('inner', 200);
    const front = await metadataBlockingFront(await readFile(tlsFiles.certFile, 'utf8'), await readFile(tlsFiles.keyFile, 'utf8'), ca.certPem);
    try {
      await serve({ tls: inner, listenPort: front.innerPort });
      await front.listen(port);
      const r = await doctor(healthy);
      assert.match(onlyFault(r, 'metadata', 'fail').detail, /federationmetadata\/2007-06\/federationmetadata\.xml answered 503/);
    } finally {
      await front.close();
      await serve();
    }
  });

  it('a TLS certificate near expiry: only the TLS check warns', async () => {
    try {
      await serve({ tls: await tls('short', 5) });
      const r = await doctor(healthy);
      assert.equal(r.code, 3, r.stdout);
      assert.match(onlyFault(r, 'tls certificate', 'warn').detail, /^localhost issued by Doctor Test CA, 4 days left$/);
    } finally {
      await serve();
    }
  });

  it('a TLS certificate for another name fails the TLS check, naming the mismatch', async () => {
    try {
      const other = await makeServerCert(ca, { dnsNames: ['sts.other.example'] }, 200);
      await writeFile(join(dir, 'other.crt'), other.certPem);
      await writeFile(join(dir, 'other.key'), other.keyPem);
      await serve({ tls: { certFile: join(dir, 'other.crt'), keyFile: join(dir, 'other.key') } });
      const r = await doctor(healthy);
      const check = r.report.checks.find((c) => c.part === 'tls certificate');
      assert.equal(check?.status, 'fail', r.stdout);
      assert.match(check.detail, /^localhost:\d+: the certificate does not name localhost \(sts\.other\.example issued by Doctor Test CA, 199 days left\)$/);
      assert.match(check.fix ?? '', /with the public host name/);
    } finally {
      await serve();
    }
  });

  it('a signing certificate near expiry with no next key: only the signing certificate check warns', async () => {
    // Offline: a running server would make the next key itself (automatic rollover) before doctor looked.
    const soon = join(dir, 'expiring.db');
    await seedExpiringKey(soon);
    const config = await doctorConfig('expiring.yaml', { store: soon });
    try {
      await apply(config);
      const r = await doctor(config, {}, ['--offline']);
      assert.equal(r.code, 3, r.stdout);
      assert.match(onlyFault(r, 'signing certificate', 'warn').detail, /^[0-9A-F]{40} CN=ADFS Signing - localhost, 4 days left, and no next key$/);
    } finally {
      await apply(healthy);
    }
  });

  it('fails only the certificate rollover check when the last write of our certificates to Entra failed', async () => {
    const path = join(dir, 'push-failed.db');
    const store = sqliteStore(path);
    try {
      await generateSigningKey(store, { kek: KEK, subject: 'CN=ADFS Signing - localhost', validityDays: 365, keyBits: 2048 });
      // What keys/rollover.ts records after Graph refused the write three times.
      await store.sync.setValue('keys.entra-push', JSON.stringify({ signing: 'X', next: null, ok: false, at: new Date().toISOString(), attempts: 3, error: 'Graph 403 Authorization_RequestDenied' }));
    } finally {
      await store.close();
    }
    const config = await doctorConfig('push-failed.yaml', { store: path });
    try {
      await apply(config);
      const r = await doctor(config, {}, ['--offline']);
      assert.equal(r.code, 1, r.stdout);
      assert.match(onlyFault(r, 'certificate rollover', 'fail').detail, /^writing our certificates to Entra failed 3 time\(s\), last at .*: Graph 403 Authorization_RequestDenied$/);
    } finally {
      await apply(healthy);
    }
  });
});

/** A store whose only signing key is active and expires in under five days, as if made 25 days ago. */
async function seedExpiringKey(path: string): Promise<void> {
  const store = sqliteStore(path);
  const scratch = sqliteStore(join(dir, 'scratch.db'));
  try {
    // A record of every field the store keeps, from the ordinary generator; only its certificate is replaced.
    const fresh = await generateSigningKey(scratch, { kek: KEK, subject: 'CN=ADFS Signing - localhost', validityDays: 30, keyBits: 2048 });
    const old = await generateSelfSignedCertificate({ subject: 'CN=ADFS Signing - localhost', validityDays: 30, keyBits: 2048, now: new Date(Date.now() - 25 * 86_400_000 - 3_600_000) });
    await store.keys.put({
      ...fresh, id: old.thumbprint, certificateDer: old.certificateDer, sealedPrivateKey: sealPrivateKey(old.privateKey, KEK, old.thumbprint), notBefore: old.notBefore, notAfter: old.notAfter,
    });
  } finally {
    await store.close();
    await scratch.close();
  }
}

/**
 * An HTTPS front end (as a load balancer would be) that forwards every request to Gatehouse on
 * `innerPort` except the federation metadata, which it answers 503.
 */
async function metadataBlockingFront(certPem: string, keyPem: string, innerCa: string): Promise<{ innerPort: number; listen(port: number): Promise<void>; close(): Promise<void> }> {
  const spare = createServer();
  await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
  const innerPort = (spare.address() as AddressInfo).port;
  await new Promise<void>((r) => spare.close(() => r()));
  const agent = new Agent({ connect: { ca: innerCa } });
  const server: Server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    if (req.url?.toLowerCase().startsWith('/federationmetadata/')) return void res.writeHead(503).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection')) as Record<string, string>;
      request(`https://localhost:${innerPort}${req.url}`, { method: req.method as 'GET', headers, body: chunks.length ? Buffer.concat(chunks) : undefined, dispatcher: agent })
        .then(async (inner) => {
          res.writeHead(inner.statusCode, { 'content-type': String(inner.headers['content-type'] ?? 'text/plain') }).end(Buffer.from(await inner.body.arrayBuffer()));
        })
        .catch((err: Error) => res.writeHead(502).end(err.message));
    });
  });
  return {
    innerPort,
    listen: (p) => new Promise<void>((r) => server.listen(p, '127.0.0.1', r)),
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await agent.close();
    },
  };
}
