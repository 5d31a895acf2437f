import type { DirectoryUser } from '../../directory/types.js';
import type { RelyingPartyTrust } from '../trusts/trust.js';
import type { Authentication } from '../signin/types.js';
import { ClaimType, NameIdFormat, type Claim } from './types.js';

/** Values of a user attribute by the names an operator writes in `claims` mappings. */
export function attributeValues(user: DirectoryUser, attribute: string): string[] {
  switch (attribute) {
    case 'upn':
    case 'userPrincipalName':
      return [user.upn];
    case 'immutableId':
      return [user.immutableId];
    case 'objectGuid':
    case 'objectGUID':
      return [user.objectGuid];
    case 'samAccountName':
    case 'sAMAccountName':
      return [user.samAccountName];
    case 'groups':
      return user.groups.map((g) => g.name);
    case 'sid':
    case 'objectSid':
      return user.sid ? [user.sid] : [];
    default: {
      const key = Object.keys(user.attributes).find((k) => k.toLowerCase() === attribute.toLowerCase());
      return key ? (user.attributes[key] ?? []) : [];
    }
  }
}

/** Configured attribute → claim mappings for relying parties other than Entra. */
export function mappedClaims(trust: RelyingPartyTrust, auth: Authentication): Claim[] {
  const nameId = attributeValues(auth.user, trust.nameIdAttribute)[0] ?? auth.user.upn;
  const format = nameId.includes('@') ? NameIdFormat.email : NameIdFormat.unspecified;
  const claims: Claim[] = [{ type: ClaimType.nameIdentifier, value: nameId, format }];
  for (const m of trust.claims) for (const value of attributeValues(auth.user, m.attribute)) claims.push({ type: m.claimType, value });
  for (const m of auth.methods) claims.push({ type: ClaimType.authnMethodsReferences, value: m });
  return claims;
}
