import type { SourceObject } from '../directory/source-reader.js';

/** `target ← source`: an Entra property from the first value of an LDAP attribute. */
export interface AttributeFlow {
  target: string;
  source: string;
}

/** What the mapping needs to know about the tenant: which UPN suffixes Entra will accept. */
export interface TenantDomains {
  verified: Set<string>;
  /** The tenant's `*.onmicrosoft.com` domain, where unverified UPN suffixes fall back to. */
  initial: string;
}

/**
 * Entra Connect's default user flows (its out-of-box sync rules, "Entra Connect Sync: Understanding
 * the default configuration"). accountEnabled comes from userAccountControl bit ACCOUNTDISABLE
 * (0x2); onPremisesImmutableId is the source anchor (ENTRA.md §7.2). proxyAddresses is read-only in Graph v1.0, so it is only used to soft-match.
 */
export const defaultUserFlows: AttributeFlow[] = [
  { target: 'displayName', source: 'displayName' },
  { target: 'givenName', source: 'givenName' },
  { target: 'surname', source: 'sn' },
  { target: 'mail', source: 'mail' },
  { target: 'department', source: 'department' },
  { target: 'jobTitle', source: 'title' },
  { target: 'usageLocation', source: 'c' },
];

const ACCOUNTDISABLE = 0x2;

/** Graph's mailNickname rule: ≤ 64 printable ASCII, none of @ ( ) \ [ ] " ; : < > , or space. */
export function mailNickname(value: string): string {
  const cleaned = value.normalize('NFKD').replace(/[^\x21-\x7e]/g, '').replace(/[@()\\[\]";:<>,]/g, '').slice(0, 64);
  return cleaned || 'object';
}

export interface MappedUser {
  attributes: Record<string, unknown>;
  /** Set when the UPN suffix is not a verified domain and the onmicrosoft.com one was used instead. */
  upnFallbackFrom?: string;
}

const first = (obj: SourceObject, attr: string): string | null => obj.attributes[attr.toLowerCase()]?.[0] ?? null;

export function mapUser(obj: SourceObject, domains: TenantDomains, extraFlows: AttributeFlow[]): MappedUser {
  const sam = first(obj, 'sAMAccountName') ?? obj.objectGuid;
  const adUpn = first(obj, 'userPrincipalName') ?? `${sam}@${domains.initial}`;
  const at = adUpn.lastIndexOf('@');
  const suffix = adUpn.slice(at + 1).toLowerCase();
  // Entra Connect: a UPN whose suffix is not verified in the tenant becomes prefix@<tenant>.onmicrosoft.com.
  const fallback = !domains.verified.has(suffix);
  const upn = fallback ? `${adUpn.slice(0, at)}@${domains.initial}` : adUpn;
  const flows = new Map(defaultUserFlows.map((f) => [f.target, f.source]));
  for (const f of extraFlows) flows.set(f.target, f.source);
  const attributes: Record<string, unknown> = {};
  for (const [target, source] of flows) attributes[target] = first(obj, source);
  attributes.displayName ??= first(obj, 'cn') ?? sam;
  attributes.userPrincipalName = upn;
  attributes.mailNickname = mailNickname(first(obj, 'mailNickname') ?? sam);
  attributes.accountEnabled = (Number(first(obj, 'userAccountControl') ?? 0) & ACCOUNTDISABLE) === 0;
  attributes.onPremisesImmutableId = obj.anchor;
  return fallback ? { attributes, upnFallbackFrom: adUpn } : { attributes };
}

/** Security groups, as Entra Connect creates them for AD groups that are not mail-enabled. */
export function mapGroup(obj: SourceObject): Record<string, unknown> {
  const sam = first(obj, 'sAMAccountName') ?? first(obj, 'cn') ?? obj.objectGuid;
  return {
    displayName: first(obj, 'displayName') ?? first(obj, 'cn') ?? sam,
    mailNickname: mailNickname(sam),
    description: first(obj, 'description'),
    mailEnabled: false,
    securityEnabled: true,
  };
}

/** Properties whose value differs (a missing exported value counts as different). */
export function changedProperties(desired: Record<string, unknown>, exported: Record<string, unknown> | null): Record<string, unknown> {
  if (!exported) return { ...desired };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) if (JSON.stringify(exported[k] ?? null) !== JSON.stringify(v ?? null)) out[k] = v;
  return out;
}
