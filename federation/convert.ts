import type { EntraUser } from '../entra/directory-objects.js';
import type { GraphClient } from '../entra/graph-client.js';
import type { DesiredFederation } from './desired.js';
import { applyPlan, planDomain, type DomainPlan } from './plan.js';
import { managedCommand } from './powershell.js';

/**
 * Turning a domain federated or managed, with the checks Entra Connect's wizard makes first
 * (ENTRA.md §1.3). Either change can take up to about two hours to reach every Entra node.
 */

/** Users whose UPN is in `domain` or a subdomain of it, which inherits its federation (ENTRA.md §4.1). */
function inDomain(upn: string, domain: string): boolean {
  const suffix = upn.slice(upn.lastIndexOf('@') + 1).toLowerCase();
  return suffix === domain || suffix.endsWith(`.${domain}`);
}

/**
 * Users of the domain Entra holds without an onPremisesImmutableId: once the domain is federated,
 * the ImmutableID in our token names nobody for them (AADSTS51004, ENTRA.md §7.2), and Graph refuses
 * to create such users at all (§8.2). Sync, or a hard match, must give them one first.
 */
export async function usersWithoutImmutableId(graph: GraphClient, domain: string): Promise<EntraUser[]> {
  return (await graph.users.list()).filter((u) => inDomain(u.userPrincipalName, domain) && !u.onPremisesImmutableId);
}

export type ToFederated =
  | { outcome: 'federated' | 'already-federated'; plan: DomainPlan; unanchored: EntraUser[] }
  /** Users would lose their sign-in; nothing was changed (`force` goes on). */
  | { outcome: 'refused'; plan: DomainPlan; unanchored: EntraUser[] }
  | { outcome: 'blocked'; plan: Extract<DomainPlan, { action: 'blocked' }>; unanchored: [] };

export async function convertToFederated(graph: GraphClient, want: DesiredFederation, force: boolean): Promise<ToFederated> {
  const plan = await planDomain(graph, want);
  if (plan.action === 'blocked') return { outcome: 'blocked', plan, unanchored: [] };
  if (plan.action !== 'create') return { outcome: 'already-federated', plan, unanchored: [] };
  const unanchored = await usersWithoutImmutableId(graph, want.domain);
  if (unanchored.length > 0 && !force) return { outcome: 'refused', plan, unanchored };
  await applyPlan(graph, plan);
  return { outcome: 'federated', plan, unanchored };
}

/**
 * Gatehouse does not sync password hashes (Entra Connect's password hash sync), so after the
 * change every user of the domain needs a cloud password set in Entra before they can sign in.
 */
export const MANAGED_WARNING = 'Gatehouse does not provide password hash sync: after the change the domain’s users sign in with cloud passwords, which must be set in Entra (or synced by another tool) first';

export type ToManaged = { outcome: 'managed' | 'already-managed' | 'refused'; command: string };

export async function convertToManaged(graph: GraphClient, domain: string, force: boolean): Promise<ToManaged> {
  const command = managedCommand(domain);
  const found = await graph.domains.get(domain);
  if (!found) throw new Error(`the tenant has no domain ${domain}`);
  if (found.authenticationType !== 'Federated') return { outcome: 'already-managed', command };
  if (!force) return { outcome: 'refused', command };
  await graph.domains.makeManaged(domain);
  return { outcome: 'managed', command };
}
