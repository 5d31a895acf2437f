import type { DomainFederationSettings } from '../entra/domains.js';
import type { DomainPlan, FederationField } from './plan.js';

/**
 * The Microsoft Graph PowerShell command lines equivalent to what `gatehouse federation` does, for
 * operators who must run changes themselves (`New-MgDomainFederationConfiguration`,
 * `Update-MgDomainFederationConfiguration`, `Update-MgDomain`; module Microsoft.Graph.Identity.DirectoryManagement).
 * Each parameter is the property's name in PascalCase (ENTRA.md §1.2, PS-Upd).
 */

/** A PowerShell literal: single-quoted strings with ' doubled, $true/$false, $null. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return '$null';
  if (typeof value === 'boolean') return value ? '$true' : '$false';
  return `'${String(value).replaceAll("'", "''")}'`;
}

function parameters(values: Partial<DomainFederationSettings>): string {
  return Object.entries(values)
    .map(([k, v]) => (typeof v === 'boolean' ? ` -${k[0]!.toUpperCase()}${k.slice(1)}:${literal(v)}` : ` -${k[0]!.toUpperCase()}${k.slice(1)} ${literal(v)}`))
    .join('');
}

export function newFederationCommand(domain: string, settings: DomainFederationSettings): string {
  // A null next certificate is left out: there is nothing to set yet.
  const values = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== null));
  return `New-MgDomainFederationConfiguration -DomainId ${literal(domain)}${parameters(values)}`;
}

export function updateFederationCommand(domain: string, id: string, changes: Partial<DomainFederationSettings>): string {
  return `Update-MgDomainFederationConfiguration -DomainId ${literal(domain)} -InternalDomainFederationId ${literal(id)}${parameters(changes)}`;
}

/** ENTRA.md §1.3: back to managed (needs Domain-InternalFederation.ReadWrite.All). */
export function managedCommand(domain: string): string {
  return `Update-MgDomain -DomainId ${literal(domain)} -AuthenticationType 'Managed'`;
}

/** What makes Entra match the plan, or undefined when it already does or nothing can be done. */
export function commandFor(plan: DomainPlan): string | undefined {
  switch (plan.action) {
    case 'create':
      return newFederationCommand(plan.domain, plan.desired);
    case 'update': {
      const fields: FederationField[] = plan.differences.map((d) => d.field);
      return updateFederationCommand(plan.domain, plan.id, Object.fromEntries(fields.map((f) => [f, plan.desired[f]])));
    }
    default:
      return undefined;
  }
}
