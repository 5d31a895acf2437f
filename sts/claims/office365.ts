import type { Authentication } from '../signin/types.js';
import { ClaimType, NameIdFormat, type Claim } from './types.js';
import { issuerForUpn, type FederatedDomain } from './issuer.js';

/**
 * The Office 365 rule set Entra Connect installs on AD FS (ENTRA.md §2.6, §4.2, §5.2): NameIdentifier
 * and ImmutableID from the source anchor (the directory already prefers ms-DS-ConsistencyGuid over
 * objectGUID, §7.1), UPN, insidecorporatenetwork, the methods used, MFA, psso, and issuerid.
 */
export function office365Claims(auth: Authentication, domains: FederatedDomain[]): Claim[] {
  const u = auth.user;
  const claims: Claim[] = [
    { type: ClaimType.nameIdentifier, value: u.immutableId, format: NameIdFormat.unspecified },
    { type: ClaimType.upn, value: u.upn },
    { type: ClaimType.immutableId, value: u.immutableId },
    { type: ClaimType.insideCorporateNetwork, value: String(auth.insideCorporateNetwork) },
    ...auth.methods.map((m) => ({ type: ClaimType.authnMethodsReferences, value: m })),
    { type: ClaimType.issuerId, value: issuerForUpn(u.upn, domains) },
  ];
  if (auth.mfaInstant) claims.push({ type: ClaimType.mfaInstant, value: auth.mfaInstant.toISOString() });
  if (auth.persistent) claims.push({ type: ClaimType.psso, value: 'true' });
  if (u.passwordExpiresAt) claims.push({ type: ClaimType.passwordExpirationTime, value: u.passwordExpiresAt.toISOString() });
  return claims;
}
