import type { GraphClient } from '../entra/graph-client.js';
import { fail, pass, type DoctorCheck } from '../health/doctor.js';
import type { DesiredFederation } from './desired.js';
import { planDomain, shown } from './plan.js';

/**
 * Entra's federation settings of one domain equal ours, field by field (`gatehouse federation
 * verify`): a different issuer or certificate makes Entra refuse every token (ENTRA.md §2.11, §1.4).
 */
export function federationCheck(domain: string, desired: () => Promise<DesiredFederation[]>, graph: () => Promise<GraphClient>): DoctorCheck {
  return {
    name: `entra federation ${domain}`,
    run: async () => {
      const want = (await desired()).find((d) => d.domain === domain)!;
      const plan = await planDomain(await graph(), want);
      switch (plan.action) {
        case 'none':
          return pass('Entra’s internalDomainFederation equals ours');
        case 'blocked':
          return fail(plan.reason, plan.fix);
        case 'create':
          return fail('the domain has no federation configuration in Entra', `run \`gatehouse federation convert --to federated --domain ${domain}\``);
        case 'update':
          return fail(
            plan.differences.map((d) => `${d.field} ${shown(d.field, d.entra)} in Entra, ${shown(d.field, d.ours)} here`).join('; '),
            'run `gatehouse federation apply` (or `federation plan` for the PowerShell line)',
          );
      }
    },
  };
}

/** The app registration gets a Graph token and may read the tenant's domains. */
export function graphCheck(graph: () => Promise<GraphClient>): DoctorCheck {
  return {
    name: 'graph',
    run: async () => {
      try {
        const domains = await (await graph()).domains.list();
        return pass(`signed in as the app registration; the tenant has ${domains.length} domain(s)`);
      } catch (err) {
        return fail((err as Error).message.split('\n')[0]!, 'check graph: tenantId, clientId, the credential and the app’s permissions (Domain-InternalFederation.Read.All, User.Read.All)');
      }
    },
  };
}
