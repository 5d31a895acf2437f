import type { Config } from '../config/load.js';
import { openStore } from '../store/index.js';
import { describeCertificate } from '../keys/certificate.js';
import type { DomainFederationSettings, InternalDomainFederation } from '../entra/domains.js';
import type { GraphClient } from '../entra/graph-client.js';
import type { DesiredFederation } from './desired.js';

export type FederationField = keyof DomainFederationSettings;

/** Every writable property, in the order Microsoft's resource page lists them (ENTRA.md §1.2). */
export const FEDERATION_FIELDS: readonly FederationField[] = [
  'displayName', 'issuerUri', 'metadataExchangeUri', 'passiveSignInUri', 'activeSignInUri', 'signOutUri',
  'signingCertificate', 'nextSigningCertificate', 'preferredAuthenticationProtocol', 'federatedIdpMfaBehavior',
  'promptLoginBehavior', 'isSignedAuthenticationRequestRequired',
];

/** What a difference in each property does to sign-ins, so an operator knows why it matters. */
const CONSEQUENCE: Record<FederationField, string> = {
  displayName: 'cosmetic',
  issuerUri: 'Entra finds no federated domain for our tokens’ Issuer (AADSTS50107, ENTRA.md §2.11)',
  metadataExchangeUri: 'rich clients fetch another MEX and may find no WS-Trust endpoint (ENTRA.md §6.1)',
  passiveSignInUri: 'browsers are sent to another sign-in page (ENTRA.md §2.1)',
  activeSignInUri: 'rich clients without MEX post passwords elsewhere (ENTRA.md §6.5)',
  signOutUri: 'sign-out does not end the Gatehouse session (ENTRA.md §2.10)',
  signingCertificate: 'Entra rejects tokens signed with our active key (AADSTS50006, ENTRA.md §1.4)',
  nextSigningCertificate: 'a key rollover breaks sign-ins until Entra learns the new certificate (ENTRA.md §1.4)',
  preferredAuthenticationProtocol: 'Entra speaks another protocol to us (ENTRA.md §3)',
  federatedIdpMfaBehavior: 'MFA is asked for or trusted differently (ENTRA.md §5.1)',
  promptLoginBehavior: 'prompt=login reaches us in another form (ENTRA.md §2.1)',
  isSignedAuthenticationRequestRequired: 'SAML 2.0 requests are signed or not (ENTRA.md §3.1)',
};

export interface FieldDifference {
  field: FederationField;
  ours: unknown;
  /** Absent when Entra has no federation configuration for the domain. */
  entra?: unknown;
  consequence: string;
}

/** Where one domain stands against Entra, and what `apply` would do about it. */
export type DomainPlan =
  | { domain: string; action: 'create'; desired: DomainFederationSettings; differences: FieldDifference[] }
  | { domain: string; action: 'update' | 'none'; id: string; desired: DomainFederationSettings; differences: FieldDifference[] }
  /** Nothing can be done from here: the tenant lacks the domain, has not verified it, or it is the initial one (ENTRA.md §1.3). */
  | { domain: string; action: 'blocked'; reason: string; fix: string };

/** The domain's federation as Graph holds it, and the plan to make it ours. */
export async function planDomain(graph: GraphClient, want: DesiredFederation): Promise<DomainPlan> {
  const { domain, settings } = want;
  const found = await graph.domains.get(domain);
  if (!found) return { domain, action: 'blocked', reason: `the tenant has no domain ${domain}`, fix: 'add the domain in Entra and verify it (DNS TXT record), then run this again' };
  if (found.isInitial) return { domain, action: 'blocked', reason: `${domain} is the tenant’s initial domain, which cannot be federated`, fix: 'federate a custom domain instead' };
  if (!found.isVerified) return { domain, action: 'blocked', reason: `${domain} is not verified in the tenant`, fix: 'verify the domain in Entra (DNS TXT record), then run this again' };
  const [existing] = await graph.domains.federation.list(domain);
  if (!existing) return { domain, action: 'create', desired: settings, differences: FEDERATION_FIELDS.map((f) => ({ field: f, ours: settings[f], consequence: CONSEQUENCE[f] })) };
  const differences = compare(settings, existing);
  return { domain, action: differences.length === 0 ? 'none' : 'update', id: existing.id, desired: settings, differences };
}

export function planFederation(graph: GraphClient, desired: DesiredFederation[]): Promise<DomainPlan[]> {
  return Promise.all(desired.map((d) => planDomain(graph, d)));
}

/** Field by field, exact: Entra compares issuerUri as a string (ENTRA.md §4.1), so a trailing slash matters. */
export function compare(ours: DomainFederationSettings, entra: InternalDomainFederation): FieldDifference[] {
  return FEDERATION_FIELDS.filter((f) => ours[f] !== entra[f]).map((f) => ({ field: f, ours: ours[f], entra: entra[f], consequence: CONSEQUENCE[f] }));
}

/** Creates the configuration or changes only the properties that differ. */
export async function applyPlan(graph: GraphClient, plan: DomainPlan): Promise<void> {
  switch (plan.action) {
    case 'create':
      await graph.domains.federation.create(plan.domain, plan.desired);
      return;
    case 'update':
      await graph.domains.federation.update(plan.domain, plan.id, Object.fromEntries(plan.differences.map((d) => [d.field, plan.desired[d.field]])));
      return;
    case 'none':
      return;
    case 'blocked':
      throw new Error(`${plan.reason}: ${plan.fix}`);
  }
}

/** A value as an operator reads it: certificates by thumbprint, subject and expiry rather than 1 KB of base64. */
export function shown(field: FederationField, value: unknown): string {
  if (value === undefined) return '(none)';
  if ((field === 'signingCertificate' || field === 'nextSigningCertificate') && typeof value === 'string') {
    try {
      const c = describeCertificate(Buffer.from(value, 'base64'));
      return `${c.thumbprint} ${c.subject}, until ${c.notAfter.toISOString().slice(0, 10)}`;
    } catch {
      return `unreadable certificate ${value.slice(0, 16)}…`;
    }
  }
  return JSON.stringify(value);
}

/** A change made to a domain's federation in Entra, audited as `federation.applied` in the config's store (README "Audit log"). */
export async function auditFederationChange(config: Pick<Config, 'store'>, domain: string, change: string): Promise<void> {
  const store = openStore(config);
  try {
    await store.audit.append({ at: new Date(), type: 'federation.applied', outcome: 'success', details: { domain, change } });
  } finally {
    await store.close();
  }
}
