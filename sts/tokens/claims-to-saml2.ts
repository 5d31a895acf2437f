import { randomUUID } from 'node:crypto';
import { ClaimType, NameIdFormat, type Claim } from '../claims/types.js';
import type { SamlTrustSettings } from '../trusts/trust.js';
import { URI_NAME_FORMAT, type Saml2Attribute } from './saml2-assertion.js';

export type NameIdFormatName = SamlTrustSettings['nameIdFormat'];

/** SAML Core §8.3 NameID format URIs by the names the config uses. */
export const NAME_ID_FORMAT: Readonly<Record<NameIdFormatName, string>> = {
  persistent: NameIdFormat.persistent,
  transient: NameIdFormat.transient,
  emailAddress: NameIdFormat.email,
  unspecified: NameIdFormat.unspecified,
};

export function nameIdFormatName(uri: string): NameIdFormatName | undefined {
  return (Object.keys(NAME_ID_FORMAT) as NameIdFormatName[]).find((k) => NAME_ID_FORMAT[k] === uri);
}

/**
 * ENTRA.md §3.2: the persistent NameID Entra reads is the ImmutableID with characters that are not
 * HTML-safe written `.XX` (Microsoft's example: `+` → `.2B`); `.` itself must then be escaped too.
 */
export function entraNameId(immutableId: string): string {
  return immutableId.replace(/[^A-Za-z0-9/=]/g, (c) => `.${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

const first = (claims: Claim[], type: string) => claims.find((c) => c.type === type)?.value;

/**
 * The NameID in the format asked for, from the claim list: persistent is the source anchor
 * (ImmutableID: opaque and stable across renames, as Entra and AD FS's persistent rule use it),
 * transient a fresh value per assertion (Core §8.3.8), emailAddress the mail claim or the UPN,
 * unspecified the rules' NameIdentifier.
 */
export function nameIdValue(claims: Claim[], format: NameIdFormatName, anchor: string, entra: boolean): string {
  const nameIdentifier = first(claims, ClaimType.nameIdentifier);
  switch (format) {
    case 'persistent': {
      const value = first(claims, ClaimType.immutableId) ?? anchor;
      return entra ? entraNameId(value) : value;
    }
    case 'transient':
      return `_${randomUUID()}`;
    case 'emailAddress':
      return first(claims, ClaimType.email) ?? first(claims, ClaimType.upn) ?? nameIdentifier ?? '';
    case 'unspecified':
      return nameIdentifier ?? '';
  }
}

/** Claims that steer the token rather than appear in it. */
const notAttributes = new Set<string>([ClaimType.nameIdentifier, ClaimType.issuerId]);

/**
 * Attributes: for Entra exactly IDPEmail = UPN (ENTRA.md §3.2; Entra reads no other attribute,
 * §5.3); for other parties one Attribute per claim type, named by its URI (AD FS's SAML 2.0 form).
 */
export function saml2Attributes(claims: Claim[], entra: boolean): Saml2Attribute[] {
  if (entra) {
    const upn = first(claims, ClaimType.upn);
    return upn ? [{ name: 'IDPEmail', values: [upn] }] : [];
  }
  const byType = new Map<string, string[]>();
  for (const c of claims) {
    if (notAttributes.has(c.type)) continue;
    byType.set(c.type, [...(byType.get(c.type) ?? []), c.value]);
  }
  return [...byType].map(([name, values]) => ({ name, nameFormat: URI_NAME_FORMAT, values }));
}
