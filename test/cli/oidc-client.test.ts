import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { getTestBed } from '../ad/testbed.js';
import { gatehouse } from '../support/cli.js';
import { startTestGatehouse, testBedDirectory, type RunningTestGatehouse } from '../support/gatehouse.js';
import { discover } from '../oidc/helpers.js';

const SECRET = 'c'.repeat(48);

describe('gatehouse client list|add|remove beside a running node', () => {
  let gh: RunningTestGatehouse;
  let configFile: string;
  before(async () => {
    const bed = await getTestBed();
    gh = await startTestGatehouse({ directory: testBedDirectory(bed, bed.caCertPath), extra: { oidc: { clients: [{ client_id: 'from-config', application_type: 'native', redirect_uris: ['http://127.0.0.1:9/cb'] }] } } });
    configFile = join(gh.dir, 'gatehouse.yaml');
  });
  after(() => gh?.stop());

  it('adds a client from RFC 7591 metadata that the running node accepts at once, lists it without its secret, and removes it', async () => {
    const file = join(gh.dir, 'cli-app.json');
    await writeFile(file, JSON.stringify({ client_id: 'cli-app', client_name: 'CLI app', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], logo_uri: 'https://example.com/logo.png' }));
    const config = await discover(`${gh.url}/adfs`, gh.tlsCertPem, 'cli-app', undefined, oidc.ClientSecretPost(SECRET));
    await assert.rejects(oidc.initiateDeviceAuthorization(config, { scope: 'openid' }), (e: { error?: string }) => e.error === 'invalid_client', 'unknown before it is added');

    const added = await gatehouse(['client', 'add', '--file', file, '-c', configFile]);
    assert.equal(added.code, 0, added.stderr);
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    assert.ok(device.user_code, 'the running node knows the client without a restart');
    const stored = await gh.runtime.store.oidcClients.get('cli-app');
    assert.ok(stored && !JSON.stringify(stored.metadata).includes(SECRET), 'the store keeps the secret sealed, never in clear');

    const list = await gatehouse(['client', 'list', '--json', '-c', configFile]);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { client_id: string; source: string; token_endpoint_auth_method: string }[];
    assert.deepEqual(rows.map((r) => [r.client_id, r.source, r.token_endpoint_auth_method]), [['from-config', 'config', 'none'], ['cli-app', 'store', 'client_secret_post']]);
    assert.ok(!list.stdout.includes(SECRET), 'no secret is listed');

    const again = await gatehouse(['client', 'add', '--file', file, '-c', configFile]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already stored/);

    const removed = await gatehouse(['client', 'remove', 'cli-app', '-c', configFile]);
    assert.equal(removed.code, 0, removed.stderr);
    await assert.rejects(oidc.initiateDeviceAuthorization(config, { scope: 'openid' }), (e: { error?: string }) => e.error === 'invalid_client', 'refused at the next request after removal');
  });

  it('refuses metadata that would make an unsafe client, naming what is wrong (exit 2)', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ client_id: 'weak', client_secret: 'short', redirect_uris: ['https://app.example.com/cb'] }, /at least 32 characters/],
      [{ client_id: 'nokeys', token_endpoint_auth_method: 'private_key_jwt', redirect_uris: ['https://app.example.com/cb'] }, /jwks/],
      [{ client_id: 'noredirect' }, /redirect_uris/],
      [{ client_id: 'from-config', redirect_uris: ['https://app.example.com/cb'] }, /config/],
    ];
    for (const [metadata, why] of cases) {
      const file = join(gh.dir, `${String(metadata.client_id)}.json`);
      await writeFile(file, JSON.stringify(metadata));
      const r = await gatehouse(['client', 'add', '--file', file, '-c', configFile]);
      assert.equal(r.code, 2, `${String(metadata.client_id)}: ${r.stdout}`);
      assert.match(r.stderr, why);
    }
  });
});
