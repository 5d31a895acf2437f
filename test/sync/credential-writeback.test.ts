import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { immutableIdFromBytes } from '../../directory/guid.js';
import { addUser, gatehouse, graphWrites, makeEngine, syncWorld, writeSyncConfig, type SyncWorld } from './helpers.js';

describe('sync: certificate credential and ms-DS-ConsistencyGuid write-back', () => {
  let w: SyncWorld;
  let dir: string;
  before(async () => {
    w = await syncWorld('SyncCred');
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-sync-cred-'));
  });
  after(async () => {
    await w.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** objectGUID and ms-DS-ConsistencyGuid as AD has them now, read on an admin connection of its own. */
  const anchors = async (dn: string): Promise<{ objectGuid: Buffer; consistencyGuid: Buffer | undefined }> => {
    const admin = new Client({ url: w.bed.ldapsUrl, tlsOptions: { ca: w.bed.caCertPem }, timeout: 20_000 });
    try {
      await admin.bind(w.bed.admin.dn, w.bed.admin.password);
      const { searchEntries } = await admin.search(dn, { scope: 'base', attributes: ['objectGUID', 'mS-DS-ConsistencyGuid'], explicitBufferAttributes: ['objectGUID', 'mS-DS-ConsistencyGuid'] });
      const entry = searchEntries[0]!;
      const consistency = Object.entries(entry).find(([k]) => k.toLowerCase() === 'ms-ds-consistencyguid')?.[1];
      return { objectGuid: entry.objectGUID as Buffer, consistencyGuid: Buffer.isBuffer(consistency) ? consistency : undefined };
    } finally {
      await admin.unbind();
    }
  };

  it('syncs through `gatehouse sync run` with an app that authenticates by certificate (no secret configured)', async () => {
    const dn = await addUser(w.ad, w.ou, `cert-cora${w.tag}`);
    await writeFile(join(dir, 'app.crt'), w.app.certificate.certificatePem);
    await writeFile(join(dir, 'app.key'), w.app.certificate.privateKeyPem);
    const config = await writeSyncConfig(w, dir, { graph: { clientSecret: undefined, certificate: { certFile: 'app.crt', keyFile: 'app.key' } } });
    const child = gatehouse(['sync', 'run', '--json', '-c', config]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, out);
    const { objectGuid } = await anchors(dn);
    assert.equal(w.double.tenant.findUserByImmutableId(immutableIdFromBytes(objectGuid))?.userPrincipalName, `cert-cora${w.tag}@corp.example.com`);
  });

  it('refuses to sync with a certificate the app does not have registered', async () => {
    const other = await w.double.tenant.addApp({ roles: [] });
    // Same client id, a private key the app registration does not know: the token request must fail.
    const e = makeEngine({ ...w, app: { ...w.app, certificate: { ...w.app.certificate, privateKeyPem: other.certificate.privateKeyPem } } }, { credential: 'certificate' });
    try {
      await assert.rejects(e.engine.run());
    } finally {
      await e.close();
    }
  });

  it('writes objectGUID into an empty ms-DS-ConsistencyGuid and leaves a set one alone', async () => {
    const plain = await addUser(w.ad, w.ou, `wb-walt${w.tag}`);
    const ownAnchor = randomBytes(16);
    const preset = await addUser(w.ad, w.ou, `wb-pia${w.tag}`);
    await w.ad.modify(preset, new Change({ operation: 'replace', modification: new Attribute({ type: 'mS-DS-ConsistencyGuid', values: [ownAnchor] }) }));
    assert.equal((await anchors(plain)).consistencyGuid, undefined);

    const e = makeEngine(w, { settings: { writeBackConsistencyGuid: true } });
    try {
      assert.equal((await e.engine.run()).run.outcome, 'success');
      const walt = await anchors(plain);
      assert.ok(walt.consistencyGuid, 'ms-DS-ConsistencyGuid was written back');
      assert.deepEqual(walt.consistencyGuid, walt.objectGuid, 'the bytes of objectGUID, as Entra Connect writes them');
      assert.equal(w.double.tenant.findUserByImmutableId(immutableIdFromBytes(walt.objectGuid))?.userPrincipalName, `wb-walt${w.tag}@corp.example.com`);

      const pia = await anchors(preset);
      assert.deepEqual(pia.consistencyGuid, ownAnchor, 'a set ms-DS-ConsistencyGuid is not overwritten');
      assert.ok(w.double.tenant.findUserByImmutableId(immutableIdFromBytes(ownAnchor)), 'and it is the anchor Entra gets');

      // The write-back itself is a change DirSync reports; it must not move the anchor or write to Graph.
      const before = graphWrites(w.double);
      const again = await e.engine.run();
      assert.equal(again.run.mode, 'delta');
      assert.equal(graphWrites(w.double), before);
    } finally {
      await e.close();
    }
  });
});
