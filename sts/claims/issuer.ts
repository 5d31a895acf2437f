import { issuerFor } from '../../config/load.js';

export interface FederatedDomain {
  name: string;
  issuerUri?: string | undefined;
}

/**
 * ENTRA.md §4.1–§4.2: the issuer of an Entra token follows the user's UPN suffix; a subdomain
 * (corp.contoso.com) takes its parent federated domain's issuer. AD FS's issuerid rule does the same
 * with a regex; the longest matching domain wins. A suffix that is not federated gets the first
 * domain's issuer, as AD FS issues its default then (Entra answers such a token with AADSTS50107).
 */
export function issuerForUpn(upn: string, domains: FederatedDomain[]): string {
  const suffix = upn.slice(upn.lastIndexOf('@') + 1).toLowerCase();
  const match = domains
    .filter((d) => suffix === d.name.toLowerCase() || suffix.endsWith(`.${d.name.toLowerCase()}`))
    .sort((a, b) => b.name.length - a.name.length)[0];
  return issuerFor(match ?? domains[0]!);
}
