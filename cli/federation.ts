import { Command, Option } from 'commander';
import { loadConfig, type Config } from '../config/load.js';
import { graphClientFromConfig } from '../entra/from-config.js';
import type { GraphClient } from '../entra/graph-client.js';
import { convertToFederated, convertToManaged, MANAGED_WARNING } from '../federation/convert.js';
import { desiredFederations, type DesiredFederation } from '../federation/desired.js';
import { applyPlan, auditFederationChange, FEDERATION_FIELDS, planFederation, shown, type DomainPlan } from '../federation/plan.js';
import { commandFor, newFederationCommand } from '../federation/powershell.js';
import { openStore } from '../store/index.js';
import { configOption } from './options.js';

interface Options {
  config: string;
  domain?: string;
  json?: boolean;
}

/** The desired federation of the configured domains (`--domain` picks one of them). */
async function desired(config: Config, domain: string | undefined): Promise<DesiredFederation[]> {
  const store = openStore(config);
  try {
    const all = await desiredFederations(config, store);
    if (domain === undefined) return all;
    const one = all.filter((d) => d.domain === domain.toLowerCase());
    if (one.length === 0) throw new Error(`${domain} is not in federation.domains of ${config.file}`);
    return one;
  } finally {
    await store.close();
  }
}

async function withGraph<T>(config: Config, fn: (graph: GraphClient) => Promise<T>): Promise<T> {
  if (!config.graph) throw new Error(`no graph: section in ${config.file}: federation needs an app registration with Domain-InternalFederation.ReadWrite.All`);
  const { client, close } = await graphClientFromConfig(config.graph, config.baseDir);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);

function printPlan(p: DomainPlan): void {
  if (p.action === 'blocked') return out(`${p.domain}: cannot federate: ${p.reason}; ${p.fix}`);
  const head = { create: 'no federation configuration in Entra; would create', update: 'differs from Entra', none: 'Entra matches' }[p.action];
  out(`${p.domain}: ${head}`);
  for (const d of p.differences) {
    out(`  ${d.field}: ${'entra' in d ? `${shown(d.field, d.entra)} in Entra, ` : ''}${shown(d.field, d.ours)} here  (${d.consequence})`);
  }
  const command = commandFor(p);
  if (command) out(`  PowerShell: ${command}`);
}

async function plans(o: Options): Promise<DomainPlan[]> {
  const config = await loadConfig(o.config);
  const want = await desired(config, o.domain);
  return withGraph(config, (graph) => planFederation(graph, want));
}

export function federationCommand(): Command {
  const fed = new Command('federation').description('domain federation settings in Entra ID (Graph internalDomainFederation)');
  const domainOption = ['--domain <name>', 'only this configured domain'] as const;

  fed.command('show').description('the federation configuration Entra should hold, built from this config and the signing keys').option(...configOption)
    .option(...domainOption).option('--json', 'machine-readable output')
    .action(async (o: Options) => {
      const want = await desired(await loadConfig(o.config), o.domain);
      if (o.json) return out(JSON.stringify(want, null, 2));
      for (const d of want) {
        out(`${d.domain}:`);
        for (const f of FEDERATION_FIELDS) out(`  ${f}: ${shown(f, d.settings[f])}`);
        out(`  PowerShell: ${newFederationCommand(d.domain, d.settings)}`);
      }
    });

  fed.command('plan').description('field-by-field difference between this config and what Entra has').option(...configOption)
    .option(...domainOption).option('--json', 'machine-readable output')
    .action(async (o: Options) => {
      const all = await plans(o);
      if (o.json) return out(JSON.stringify(all, null, 2));
      all.forEach(printPlan);
    });

  fed.command('apply').description('create or update each domain’s federation configuration through Graph').option(...configOption).option(...domainOption)
    .action(async (o: Options) => {
      const config = await loadConfig(o.config);
      const want = await desired(config, o.domain);
      await withGraph(config, async (graph) => {
        for (const p of await planFederation(graph, want)) {
          printPlan(p);
          if (p.action === 'blocked') {
            process.exitCode = 1;
            continue;
          }
          await applyPlan(graph, p);
          if (p.action === 'none') continue;
          await auditFederationChange(config, p.domain, p.action === 'create' ? 'created' : `updated ${p.differences.map((d) => d.field).join(', ')}`);
          out(`${p.domain}: ${p.action === 'create' ? 'created' : 'updated'}`);
        }
      });
    });

  fed.command('verify').description('read Entra’s settings back; non-zero exit on any difference').option(...configOption)
    .option(...domainOption).option('--json', 'machine-readable output')
    .action(async (o: Options) => {
      const all = await plans(o);
      const equal = all.every((p) => p.action === 'none');
      if (o.json) out(JSON.stringify({ equal, domains: all }, null, 2));
      else all.forEach(printPlan);
      process.exitCode = equal ? 0 : 1;
    });

  fed.command('convert').description('turn a domain federated (with Gatehouse) or managed, with Entra Connect’s safety checks').option(...configOption)
    .requiredOption('--domain <name>', 'the configured domain to convert')
    .addOption(new Option('--to <kind>', 'federated or managed').choices(['federated', 'managed']).makeOptionMandatory())
    .option('--force', 'go on despite the warnings')
    .action(async (o: Options & { domain: string; to: 'federated' | 'managed'; force?: boolean }) => {
      const config = await loadConfig(o.config);
      const [want] = await desired(config, o.domain);
      await withGraph(config, async (graph) => {
        if (o.to === 'managed') {
          process.stderr.write(`warning: ${MANAGED_WARNING}\n`);
          const r = await convertToManaged(graph, want!.domain, o.force === true);
          if (r.outcome === 'refused') {
            process.stderr.write(`${want!.domain}: not converted; run again with --force to go on\n`);
            process.exitCode = 1;
          } else {
            if (r.outcome === 'managed') await auditFederationChange(config, want!.domain, 'converted to managed');
            out(`${want!.domain}: ${r.outcome === 'managed' ? 'now managed (Entra may take up to 2 hours everywhere)' : 'already managed'}`);
          }
          return out(`PowerShell: ${r.command}`);
        }
        const r = await convertToFederated(graph, want!, o.force === true);
        if (r.unanchored.length > 0) {
          process.stderr.write(`warning: ${r.unanchored.length} user(s) of ${want!.domain} in Entra have no onPremisesImmutableId and could not sign in once federated (AADSTS51004): ${r.unanchored.map((u) => u.userPrincipalName).join(', ')}; sync them first (gatehouse sync run)\n`);
        }
        printPlan(r.plan);
        if (r.outcome === 'blocked' || r.outcome === 'refused') {
          if (r.outcome === 'refused') process.stderr.write(`${want!.domain}: not converted; run again with --force to go on\n`);
          process.exitCode = 1;
        } else {
          if (r.outcome === 'federated') await auditFederationChange(config, want!.domain, 'converted to federated');
          out(`${want!.domain}: ${r.outcome === 'federated' ? 'now federated with Gatehouse (Entra may take up to 2 hours everywhere)' : 'already federated; `gatehouse federation apply` updates its settings'}`);
        }
      });
    });
  return fed;
}
