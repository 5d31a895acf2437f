import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { loadConfig, type Config } from '../config/load.js';
import { addMetadataTrust, describeSource, removeMetadataTrust, sourceOf, type TrustOptions } from '../metadata/metadata-trust.js';
import { MetadataRefused } from '../metadata/sp-metadata.js';
import { openStore, type Store } from '../store/index.js';
import type { StoredTrust } from '../store/types.js';
import { TrustRegistry, trustKey, type RelyingPartyTrust } from '../sts/trusts/trust.js';
import { configOption } from './options.js';

/** Runs `fn` with the config's store open; a refusal is one line and exit 1 (cli/main.ts). */
async function withStore<T>(configFile: string, fn: (config: Config, store: Store) => Promise<T>): Promise<T> {
  const config = await loadConfig(configFile);
  const store = openStore(config);
  try {
    return await fn(config, store);
  } catch (err) {
    if (err instanceof MetadataRefused) throw new Error(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

interface TrustRow {
  identifier: string;
  name: string;
  source: string;
  protocols: string[];
  version?: number | undefined;
  updatedAt?: string | undefined;
  validUntil?: string | undefined;
  lastRefresh?: { at: string; ok: boolean; message: string } | undefined;
  /** Why a stored trust is not in use (the config defines it, its metadata expired…). */
  unused?: string | undefined;
}

function rowsOf(config: Config, stored: StoredTrust[]): { rows: TrustRow[]; used: TrustRegistry } {
  const registry = TrustRegistry.fromConfig(config);
  const configured = registry.all();
  const skipped = new Map(registry.useStored(stored).map((s) => [s.id, s.why]));
  const protocols = (t: RelyingPartyTrust | Record<string, unknown>) => ['wsfed', ...('saml' in t && t.saml ? ['saml2'] : [])];
  const rows: TrustRow[] = [
    ...configured.map((t) => ({ identifier: t.identifier, name: t.name, source: 'config', protocols: protocols(t) })),
    ...stored.map((s) => ({
      identifier: String(s.trust.identifier),
      name: String(s.trust.name),
      source: describeSource(s.source),
      protocols: protocols(s.trust),
      version: s.version,
      updatedAt: s.updatedAt.toISOString(),
      validUntil: s.validUntil?.toISOString(),
      lastRefresh: { ...s.lastRefresh, at: s.lastRefresh.at.toISOString() },
      unused: skipped.get(s.id),
    })),
  ];
  return { rows, used: registry };
}

async function listCommand(o: { config: string; json?: boolean }): Promise<void> {
  await withStore(o.config, async (config, store) => {
    const { rows } = rowsOf(config, await store.trusts.list());
    if (o.json) return void process.stdout.write(`${JSON.stringify(rows)}\n`);
    for (const r of rows) {
      const refresh = r.lastRefresh ? `  last refresh ${r.lastRefresh.at} ${r.lastRefresh.ok ? 'ok' : `FAILED: ${r.lastRefresh.message}`}` : '';
      process.stdout.write(`${r.identifier}  ${r.name}  [${r.protocols.join(',')}]  ${r.source}${r.version ? `  v${r.version}` : ''}${refresh}${r.unused ? `  NOT USED: ${r.unused}` : ''}\n`);
    }
  });
}

async function showCommand(identifier: string, o: { config: string; json?: boolean }): Promise<void> {
  await withStore(o.config, async (config, store) => {
    const stored = await store.trusts.list();
    const { rows, used } = rowsOf(config, stored);
    const row = rows.find((r) => trustKey(r.identifier) === trustKey(identifier));
    const trust = used.find(identifier) ?? stored.find((s) => s.id === trustKey(identifier))?.trust;
    if (!row || !trust) throw new Error(`no trust ${identifier} (gatehouse trust list)`);
    const shown = { ...row, trust };
    process.stdout.write(o.json ? `${JSON.stringify(shown)}\n` : `${JSON.stringify(shown, null, 2)}\n`);
  });
}

async function addCommand(o: { config: string; metadata: string; name?: string; signingCert?: string; sign?: TrustOptions['sign']; allowIdpInitiated?: boolean; allowSha1?: boolean; ruleSet?: TrustOptions['ruleSet']; wsTrust?: boolean }): Promise<void> {
  const options: TrustOptions = {
    name: o.name,
    metadataSigningCertificate: o.signingCert ? await readFile(o.signingCert, 'utf8') : undefined,
    sign: o.sign,
    allowIdpInitiated: o.allowIdpInitiated,
    allowSha1: o.allowSha1,
    ruleSet: o.ruleSet,
    allowWsTrust: o.wsTrust,
  };
  await withStore(o.config, async (config, store) => {
    const { trust, replaced } = await addMetadataTrust(config, store, sourceOf(o.metadata), options);
    process.stdout.write(`${replaced ? 'replaced' : 'added'} trust ${String(trust.trust.identifier)} (${String(trust.trust.name)}), version ${trust.version}; running nodes use it within ${config.partnerMetadata.reloadSeconds} s\n`);
  });
}

async function removeCommand(identifier: string, o: { config: string }): Promise<void> {
  await withStore(o.config, async (config, store) => {
    await removeMetadataTrust(config, store, identifier);
    process.stdout.write(`removed trust ${identifier}; running nodes stop using it within ${config.partnerMetadata.reloadSeconds} s\n`);
  });
}

/** `gatehouse trust list|show|add|remove`: relying-party trusts, those added from metadata kept in the store (AD FS *-AdfsRelyingPartyTrust). */
export function trustCommand(): Command {
  const trust = new Command('trust').description('relying-party trusts: the config’s and those added from metadata (AD FS *-AdfsRelyingPartyTrust)');
  trust.command('list').description('every trust: where it comes from, its last metadata refresh').option(...configOption).option('--json', 'machine-readable output').action(listCommand);
  trust.command('show <identifier>').description('one trust as the sign-in path uses it').option(...configOption).option('--json', 'one line of JSON').action(showCommand);
  trust
    .command('add')
    .description('add the trust an SP’s metadata describes (a URL is fetched again every partnerMetadata.refreshMinutes); the same entityID again replaces it')
    .option(...configOption)
    .requiredOption('--metadata <url|file>', 'https URL or file of the party’s SAML 2.0 / WS-Federation metadata')
    .option('--name <name>', 'display name (default: the metadata’s OrganizationDisplayName, else the entityID)')
    .option('--signing-cert <file>', 'PEM certificate that signs the metadata: unsigned or otherwise signed metadata is then refused')
    .addOption(new Option('--sign <what>', 'what Gatehouse signs (WantAssertionsSigned forces the assertion)').choices(['assertion', 'response', 'both']))
    .option('--allow-idp-initiated', 'list it on /adfs/ls/idpinitiatedsignon')
    .option('--allow-sha1', 'accept RSA-SHA1 signatures on its requests')
    .addOption(new Option('--rule-set <set>', 'claim rules').choices(['office365', 'mapped']))
    .option('--no-ws-trust', 'refuse rich-client (WS-Trust) tokens for it')
    .action(addCommand);
  trust.command('remove <identifier>').description('remove a trust added from metadata').option(...configOption).action(removeCommand);
  return trust;
}
