import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../config/schema.js';
import { sqliteStore } from '../../store/sqlite/index.js';
import { startEntraDouble, type EntraDouble } from '../entra/server.js';
import { gatehouse } from '../support/cli.js';
import { graphSectionFor } from '../support/entra-graph-config.js';

let double: EntraDouble;
let dir: string;

/** A config for corp.example.com (and fabrikam when asked) whose graph: section is an app of the double. */
async function writeConfig(name: string, over: { publicUrl?: string; domains?: string[]; credential?: 'secret' | 'certificate'; federation?: Record<string, unknown> } = {}): Promise<string> {
  const file = join(dir, name);
  const input: ConfigInput = {
    server: { publicUrl: over.publicUrl ?? 'https://sts.corp.example.com' },
    directory: { kind: 'file', path: 'users.yaml' },
    federation: { domains: (over.domains ?? ['corp.example.com']).map((n) => ({ name: n })), ...over.federation },
    keys: { keyEncryptionKey: Buffer.alloc(32, 9).toString('base64') },
    store: { sqlitePath: 'federation.db' },
    graph: await graphSectionFor(double, dir, over.credential),
  };
  await writeFile(file, stringify(input));
  return file;
}

const run = async (...args: string[]) => gatehouse(args);

describe('gatehouse federation show|plan|apply|verify|convert against the Entra double', () => {
  let config: string;
  before(async () => {
    double = await startEntraDouble();
    double.tenant.addDomain('corp.example.com');
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-federation-'));
    await writeFile(join(dir, 'users.yaml'), 'users: []\n');
    config = await writeConfig('gatehouse.yaml', { credential: 'certificate' });
    assert.equal((await run('keys', 'generate', '-c', config)).code, 0);
  });
  after(async () => {
    await double.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the whole object built from the config and the active key, and the New-MgDomainFederationConfiguration line', async () => {
    const res = await run('federation', 'show', '-c', config, '--json');
    assert.equal(res.code, 0, res.stderr);
    const [corp] = JSON.parse(res.stdout) as { domain: string; settings: Record<string, unknown> }[];
    assert.equal(corp?.domain, 'corp.example.com');
    assert.deepEqual({ ...corp!.settings, signingCertificate: typeof corp!.settings.signingCertificate }, {
      displayName: 'Gatehouse',
      issuerUri: 'http://corp.example.com/adfs/services/trust/',
      passiveSignInUri: 'https://sts.corp.example.com/adfs/ls/',
      activeSignInUri: 'https://sts.corp.example.com/adfs/services/trust/2005/usernamemixed',
      metadataExchangeUri: 'https://sts.corp.example.com/adfs/services/trust/mex',
      signOutUri: 'https://sts.corp.example.com/adfs/ls/',
      signingCertificate: 'string',
      nextSigningCertificate: null,
      preferredAuthenticationProtocol: 'wsFed',
      federatedIdpMfaBehavior: 'acceptIfMfaDoneByFederatedIdp',
      promptLoginBehavior: 'nativeSupport',
      isSignedAuthenticationRequestRequired: false,
    });
    assert.match(String(corp!.settings.signingCertificate), /^[A-Za-z0-9+/]+=*$/, 'base64 DER, no PEM armour (ENTRA.md §1.2)');
    const text = await run('federation', 'show', '-c', config);
    assert.match(text.stdout, /PowerShell: New-MgDomainFederationConfiguration -DomainId 'corp\.example\.com' -DisplayName 'Gatehouse' -IssuerUri 'http:\/\/corp\.example\.com\/adfs\/services\/trust\/' .* -IsSignedAuthenticationRequestRequired:\$false/);
  });

  it('on an empty tenant, plans the whole object; apply creates it; verify then reports equal', async () => {
    const plan = await run('federation', 'plan', '-c', config, '--json');
    assert.equal(plan.code, 0, plan.stderr);
    const [p] = JSON.parse(plan.stdout) as { action: string; differences: { field: string; entra?: unknown }[] }[];
    assert.equal(p?.action, 'create');
    assert.equal(p.differences.length, 12, 'every writable property of internalDomainFederation');
    assert.ok(p.differences.every((d) => !('entra' in d)));
    assert.equal((await run('federation', 'verify', '-c', config)).code, 1, 'not federated yet');

    const apply = await run('federation', 'apply', '-c', config);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /corp\.example\.com: created/);
    const held = double.tenant.domains.get('corp.example.com')!;
    assert.equal(held.authenticationType, 'Federated');
    assert.equal(held.federation?.issuerUri, 'http://corp.example.com/adfs/services/trust/');
    assert.equal(held.federation?.promptLoginBehavior, 'nativeSupport');
    const store = sqliteStore(join(dir, 'federation.db'));
    const [applied] = await store.audit.recent(1, { type: 'federation.applied' });
    await store.close();
    assert.deepEqual(applied?.details, { domain: 'corp.example.com', change: 'created' }, 'the change is audited');

    const verify = await run('federation', 'verify', '-c', config);
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, /corp\.example\.com: Entra matches/);
  });

  it('names exactly the one URL that changed in the config, and apply sends only that property', async () => {
    const moved = await writeConfig('moved.yaml', { publicUrl: 'https://login.corp.example.com' , federation: {} });
    // Same keys: the store and key-encryption key are the first config's.
    const plan = await run('federation', 'plan', '-c', moved, '--json');
    const [p] = JSON.parse(plan.stdout) as { action: string; differences: { field: string; ours: unknown; entra: unknown }[] }[];
    assert.equal(p?.action, 'update');
    assert.deepEqual(p.differences.map((d) => d.field), ['metadataExchangeUri', 'passiveSignInUri', 'activeSignInUri', 'signOutUri']);

    const relabelled = await writeConfig('label.yaml', { federation: { promptLoginBehavior: 'translateToFreshPasswordAuthentication' } });
    const text = await run('federation', 'plan', '-c', relabelled);
    assert.match(text.stdout, /^corp\.example\.com: differs from Entra\n  promptLoginBehavior: "nativeSupport" in Entra, "translateToFreshPasswordAuthentication" here/);
    assert.match(text.stdout, /PowerShell: Update-MgDomainFederationConfiguration -DomainId 'corp\.example\.com' -InternalDomainFederationId '[0-9a-f-]+' -PromptLoginBehavior 'translateToFreshPasswordAuthentication'\n$/);
    assert.equal((await run('federation', 'verify', '-c', relabelled)).code, 1);
  });

  it('detects a change made on the Entra side, and apply puts it back', async () => {
    const fed = double.tenant.domains.get('corp.example.com')!.federation!;
    fed.issuerUri = 'http://corp.example.com/adfs/services/trust';
    const verify = await run('federation', 'verify', '-c', config);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /issuerUri: "http:\/\/corp\.example\.com\/adfs\/services\/trust" in Entra, "http:\/\/corp\.example\.com\/adfs\/services\/trust\/" here {2}\(Entra finds no federated domain/);
    assert.equal((await run('federation', 'apply', '-c', config)).code, 0);
    assert.equal(fed.issuerUri, 'http://corp.example.com/adfs/services/trust/');
    assert.equal((await run('federation', 'verify', '-c', config)).code, 0);
  });

  it('refuses to federate while a user of the domain lacks onPremisesImmutableId, naming and counting it; --force goes on', async () => {
    double.tenant.addDomain('fabrikam.example.com');
    double.tenant.addUser({ userPrincipalName: 'dave@fabrikam.example.com', onPremisesImmutableId: null });
    double.tenant.addUser({ userPrincipalName: 'erin@eu.fabrikam.example.com', onPremisesImmutableId: 'c3luY2Vk' });
    const two = await writeConfig('two.yaml', { domains: ['corp.example.com', 'fabrikam.example.com'] });
    const refused = await run('federation', 'convert', '-c', two, '--domain', 'fabrikam.example.com', '--to', 'federated');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /warning: 1 user\(s\) of fabrikam\.example\.com in Entra have no onPremisesImmutableId .*: dave@fabrikam\.example\.com;/);
    assert.match(refused.stderr, /not converted; run again with --force/);
    assert.equal(double.tenant.domains.get('fabrikam.example.com')?.authenticationType, 'Managed');

    const forced = await run('federation', 'convert', '-c', two, '--domain', 'fabrikam.example.com', '--to', 'federated', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /warning: 1 user\(s\)/);
    assert.equal(double.tenant.domains.get('fabrikam.example.com')?.federation?.issuerUri, 'http://fabrikam.example.com/adfs/services/trust/');
  });

  it('going managed warns that users need cloud passwords and needs --force', async () => {
    const two = await writeConfig('two-managed.yaml', { domains: ['corp.example.com', 'fabrikam.example.com'] });
    const warned = await run('federation', 'convert', '-c', two, '--domain', 'fabrikam.example.com', '--to', 'managed');
    assert.equal(warned.code, 1);
    assert.match(warned.stderr, /warning: Gatehouse does not provide password hash sync/);
    assert.equal(double.tenant.domains.get('fabrikam.example.com')?.authenticationType, 'Federated');
    const done = await run('federation', 'convert', '-c', two, '--domain', 'fabrikam.example.com', '--to', 'managed', '--force');
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /PowerShell: Update-MgDomain -DomainId 'fabrikam\.example\.com' -AuthenticationType 'Managed'/);
    assert.equal(double.tenant.domains.get('fabrikam.example.com')?.authenticationType, 'Managed');
    assert.equal(double.tenant.domains.get('fabrikam.example.com')?.federation, null);
  });

  it('answers bad input in one line: an unconfigured domain, a domain the tenant lacks, no graph section', async () => {
    const other = await run('federation', 'plan', '-c', config, '--domain', 'contoso.com');
    assert.equal(other.code, 1);
    assert.match(other.stderr, /^gatehouse: contoso\.com is not in federation\.domains of .*gatehouse\.yaml\n$/);
    const missing = await writeConfig('missing.yaml', { domains: ['nowhere.example.com'] });
    const blocked = await run('federation', 'apply', '-c', missing);
    assert.equal(blocked.code, 1);
    assert.match(blocked.stdout, /^nowhere\.example\.com: cannot federate: the tenant has no domain nowhere\.example\.com; add the domain in Entra and verify it/);
    const noGraph = join(dir, 'no-graph.yaml');
    await writeFile(noGraph, stringify({ directory: { kind: 'file', path: 'users.yaml' }, federation: { domains: [{ name: 'corp.example.com' }] }, keys: { keyEncryptionKey: Buffer.alloc(32, 9).toString('base64') }, store: { sqlitePath: 'federation.db' } }));
    const res = await run('federation', 'verify', '-c', noGraph);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^gatehouse: no graph: section in .*: federation needs an app registration with Domain-InternalFederation\.ReadWrite\.All\n$/);
    const bad = await run('federation', 'convert', '-c', config, '--domain', 'corp.example.com', '--to', 'sideways');
    assert.notEqual(bad.code, 0);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  });
});
