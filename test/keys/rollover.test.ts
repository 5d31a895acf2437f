import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sqliteStore } from '../../store/sqlite/index.js';
import type { KeyRecord } from '../../store/types.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { signIns } from '../entra/signin/log.js';
import type { Domain } from '../entra/tenant.js';
import { readMetadata, signingCertificates } from '../metadata/read-metadata.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { readForm, WebClient } from '../support/web-client.js';

const DAY = 86_400_000;
const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00', immutableId: 'RDMiEWZViHeZqrvM3e7/AA==' };

/*
 * AD FS's automatic certificate rollover, two months of it with the clock moved, while a browser
 * keeps signing in to the Entra double through the running server: the double must accept every
 * token, the server is never restarted.
 */
describe('automatic token-signing certificate rollover, Entra kept in step', () => {
  let entra: EntraDouble;
  let gh: RunningTestGatehouse;
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  let domain: Domain;
  const outcomes: { ok: boolean; detail: string; signedBy: string }[] = [];
  let stop = false;
  let loop: Promise<void>;
  let dir: string;

  const keys = async (): Promise<KeyRecord[]> => {
    await gh.runtime.audit.flush();
    const store = sqliteStore(gh.config.store.sqlitePath);
    try {
      return await store.keys.list('signing');
    } finally {
      await store.close();
    }
  };
  const byStatus = async (status: KeyRecord['status']) => (await keys()).filter((k) => k.status === status);
  const b64 = (k: KeyRecord | undefined) => k?.certificateDer.toString('base64') ?? null;
  const published = async () => {
    const res = await new WebClient([gh.tlsCertPem]).get(`${gh.url}/FederationMetadata/2007-06/FederationMetadata.xml`);
    return signingCertificates(readMetadata(await res.text()).idpSso);
  };

  /** One browser sign-in: Entra → Gatehouse's login page → password → token posted to the double. */
  async function signInOnce(): Promise<void> {
    const client = new WebClient([gh.tlsCertPem, entra.caCertPem]);
    const start = await client.get(`${entra.url}/signin?username=${encodeURIComponent(alice.upn)}`);
    const login = await client.get(start.headers.get('location')!);
    const { action, fields } = readForm(await login.text());
    const form = readForm(await (await client.post(new URL(action, gh.url).href, { ...fields, UserName: alice.upn, Password: alice.password })).text());
    const signedBy = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(form.fields.wresult ?? '')?.[1] ?? '';
    const html = await (await client.post(form.action, form.fields)).text();
    const ok = /id="immutable-id">RDMiEWZViHeZqrvM3e7\/AA==</.test(html);
    outcomes.push({ ok, detail: ok ? '' : (/data-code="(\w+)"/.exec(html)?.[1] ?? html.slice(0, 200)), signedBy });
  }

  /** Moves the clock and lets the server's key cycle act, as its timer would within refreshSeconds. */
  async function advanceTo(days: number): Promise<void> {
    offset = days * DAY;
    await gh.runtime.keyCycle();
    const before = outcomes.length;
    // Sign-ins keep running on the loop; wait until a few more have gone through at this point.
    while (outcomes.length < before + 5) await new Promise((r) => setTimeout(r, 50));
  }

  before(async () => {
    entra = await startEntraDouble();
    entra.tenant.addDomain('corp.example.com');
    entra.tenant.addUser({ userPrincipalName: alice.upn, displayName: 'Alice', onPremisesImmutableId: alice.immutableId });
    const app = await entra.tenant.addApp({ roles: ['Domain-InternalFederation.ReadWrite.All'] });
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-rollover-'));
    const caFile = join(dir, 'graph-ca.pem');
    await writeFile(caFile, entra.caCertPem);
    gh = await startTestGatehouse({
      directory: { users: [alice] },
      entraReplyUrl: `${entra.url}/login.srf`,
      now,
      extra: {
        keys: { keyEncryptionKey: Buffer.alloc(32, 7).toString('base64'), signingValidityDays: 60, generateDaysBeforeExpiry: 20, promoteDaysAfterGeneration: 5, refreshSeconds: 1 },
        graph: { tenantId: entra.tenant.id, clientId: app.clientId, clientSecret: app.secret, authorityHost: entra.url, graphUrl: entra.url, caFile },
      },
    });
    // The operator's first federation: the certificate Gatehouse made at its first start.
    const [first] = await byStatus('active');
    entra.tenant.federate('corp.example.com', { issuerUri: 'http://corp.example.com/adfs/services/trust/', passiveSignInUri: `${gh.url}/adfs/ls/`, signingCertificate: b64(first)! });
    domain = entra.tenant.domains.get('corp.example.com')!;
    loop = (async () => {
      while (!stop) await signInOnce();
    })();
  });
  after(async () => {
    stop = true;
    await loop;
    await gh.stop();
    await entra.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('generates, publishes and pushes the next certificate, promotes it, retires the old one: every token accepted, no restart', async () => {
    const [first] = await byStatus('active');
    assert.ok(first);

    // Day 41 of a 60-day certificate: 18 days left, under the 20-day threshold → a next certificate, published and in Entra.
    await advanceTo(41);
    const [next] = await byStatus('next');
    assert.ok(next, 'a next certificate was generated');
    assert.deepEqual(await published(), [b64(first), b64(next)]);
    assert.equal(domain.federation?.signingCertificate, b64(first));
    assert.equal(domain.federation?.nextSigningCertificate, b64(next), 'Entra was given the next certificate');

    // Day 45: not yet 5 days old → still next.
    await advanceTo(45);
    assert.deepEqual((await byStatus('next')).map((k) => k.id), [next.id]);

    // Day 46.1: promoted; the old one stays published (previous) and Entra keeps it as next.
    await advanceTo(46.1);
    assert.deepEqual((await byStatus('active')).map((k) => k.id), [next.id]);
    assert.deepEqual((await byStatus('previous')).map((k) => k.id), [first.id]);
    assert.equal(gh.runtime.keys.signer().thumbprint, next.id, 'this node signs with the new certificate');
    assert.equal(domain.federation?.signingCertificate, b64(next));
    assert.equal(domain.federation?.nextSigningCertificate, b64(first));
    assert.deepEqual(await published(), [b64(next), b64(first)]);

    // Day 61: the old certificate has expired → retired, no longer published, gone from Entra
    // (the new one, made on day 41, is 40 days from its own rollover).
    await advanceTo(61);
    assert.deepEqual((await byStatus('retired')).map((k) => k.id), [first.id]);
    assert.deepEqual(await published(), [b64(next)]);
    assert.equal(domain.federation?.signingCertificate, b64(next));
    assert.equal(domain.federation?.nextSigningCertificate, null);

    stop = true;
    await loop;
    const failed = outcomes.filter((o) => !o.ok);
    assert.deepEqual(failed, [], `${failed.length} of ${outcomes.length} sign-ins failed`);
    const signers = new Set(outcomes.map((o) => o.signedBy));
    assert.deepEqual([...signers].sort(), [b64(first), b64(next)].sort(), 'tokens were signed by both certificates along the way');
    assert.ok(outcomes.length >= 20, `${outcomes.length} sign-ins`);
    assert.ok(signIns.filter((s) => s.result === 'success').length >= outcomes.length);
  });
});

describe('rollover with two nodes on one store', () => {
  it('lets one node act under the lease while the other follows its promotion', async () => {
    let offset = 0;
    const now = () => new Date(Date.now() + offset);
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-farm-'));
    const shared = { store: { sqlitePath: join(dir, 'farm.db') }, entra: { enabled: false }, keys: { keyEncryptionKey: Buffer.alloc(32, 7).toString('base64'), signingValidityDays: 60, refreshSeconds: 1 } };
    const a = await startTestGatehouse({ directory: { users: [alice] }, now, extra: shared });
    const b = await startTestGatehouse({ directory: { users: [alice] }, now, extra: shared });
    try {
      const first = a.runtime.keys.signer().thumbprint;
      assert.equal(b.runtime.keys.signer().thumbprint, first, 'the second node found the first node’s key');
      offset = 41 * DAY;
      await Promise.all([a.runtime.keyCycle(), b.runtime.keyCycle(), a.runtime.keyCycle(), b.runtime.keyCycle()]);
      const store = sqliteStore(join(dir, 'farm.db'));
      const next = (await store.keys.list('signing')).filter((k) => k.status === 'next');
      assert.equal(next.length, 1, 'exactly one successor, whichever node made it');
      offset = 46.1 * DAY;
      await Promise.all([a.runtime.keyCycle(), b.runtime.keyCycle()]);
      await Promise.all([a.runtime.keyCycle(), b.runtime.keyCycle()]);
      assert.equal(a.runtime.keys.signer().thumbprint, next[0]!.id);
      assert.equal(b.runtime.keys.signer().thumbprint, next[0]!.id, 'the other node signs with the promoted key too');
      await store.close();
    } finally {
      await a.stop();
      await b.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
