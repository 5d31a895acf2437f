import type { RelyingPartyTrust } from '../trusts/trust.js';
import type { Authentication } from '../signin/types.js';
import type { FederatedDomain } from './issuer.js';
import { mappedClaims } from './mapped.js';
import { office365Claims } from './office365.js';
import type { Claim } from './types.js';

/** Runs the trust's issuance rules; the resulting list is all a token builder sees. */
export function issueClaims(trust: RelyingPartyTrust, auth: Authentication, domains: FederatedDomain[]): Claim[] {
  return trust.ruleSet === 'office365' ? office365Claims(auth, domains) : mappedClaims(trust, auth);
}
