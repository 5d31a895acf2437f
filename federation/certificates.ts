import type { Config } from '../config/load.js';
import type { GraphClient } from '../entra/graph-client.js';
import { graphClientFromConfig } from '../entra/from-config.js';
import type { HttpTimer } from '../entra/http.js';
import type { EntraCertificates, EntraLink } from '../keys/rollover.js';

/**
 * Our signing certificates in Entra's federation settings, over Graph (ENTRA.md §1.1, §1.4), for
 * every configured domain that Entra has federated; a domain still managed there has no
 * certificates to keep in step.
 */
export class GraphEntraCertificates implements EntraCertificates {
  constructor(
    private readonly graph: GraphClient,
    private readonly domains: string[],
  ) {}

  async accepted(): Promise<{ domain: string; certificates: string[] }[]> {
    return (await this.federated()).map(({ domain, federation }) => ({
      domain,
      certificates: [federation.signingCertificate, federation.nextSigningCertificate].filter((c): c is string => typeof c === 'string' && c !== ''),
    }));
  }

  async publish(signing: Buffer, next: Buffer | null): Promise<void> {
    const failures: string[] = [];
    for (const { domain, federation } of await this.federated()) {
      const changes = { signingCertificate: signing.toString('base64'), nextSigningCertificate: next?.toString('base64') ?? null };
      if (federation.signingCertificate === changes.signingCertificate && federation.nextSigningCertificate === changes.nextSigningCertificate) continue;
      // One domain's failure must not keep the others behind.
      await this.graph.domains.federation.update(domain, federation.id, changes).catch((err: unknown) => failures.push(`${domain}: ${(err as Error).message}`));
    }
    if (failures.length) throw new Error(`Entra federation settings not updated for ${failures.join('; ')}`);
  }

  private async federated() {
    const found = [];
    for (const domain of this.domains) {
      const [federation] = await this.graph.domains.federation.list(domain);
      if (federation) found.push({ domain, federation });
    }
    return found;
  }
}

/**
 * How the config lets us check Entra: not at all when Entra is no relying party, through Graph
 * when a `graph:` app registration is configured, else it cannot be verified (promotions then
 * wait for an operator's --force).
 */
export async function entraLinkFromConfig(config: Pick<Config, 'entra' | 'graph' | 'federation' | 'baseDir'>, timer?: HttpTimer): Promise<{ link: EntraLink; close: () => Promise<void> }> {
  if (!config.entra.enabled) return { link: { kind: 'none' }, close: async () => undefined };
  if (!config.graph) return { link: { kind: 'unverifiable', why: 'no graph: app registration in the config' }, close: async () => undefined };
  const { client, close } = await graphClientFromConfig(config.graph, config.baseDir, timer);
  return { link: { kind: 'graph', entra: new GraphEntraCertificates(client, config.federation.domains.map((d) => d.name)) }, close };
}
