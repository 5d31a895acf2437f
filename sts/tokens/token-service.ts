import type { Audit } from '../../health/audit.js';
import type { Signer } from '../../keys/signer.js';
import type { FederatedDomain } from '../claims/issuer.js';
import { issueClaims } from '../claims/rules.js';
import type { Authentication, Protocol } from '../signin/types.js';
import type { RelyingPartyTrust } from '../trusts/trust.js';
import { saml11FromClaims } from './claims-to-saml11.js';
import type { Saml11Assertion } from './saml11-assertion.js';

/** Claims, then token, then signature: the part of the walk every protocol shares. */
export class TokenService {
  constructor(
    private readonly deps: {
      /** The current signing key's signer (a function: rollover swaps it without a restart). */
      signer: () => Signer;
      domains: FederatedDomain[];
      /** Issuer for trusts whose rules set no issuerid: the service's own identifier. */
      defaultIssuer: string;
      /** Records `token.issued` for every token (AD FS 1200); tests that build tokens alone leave it out. */
      audit?: Audit | undefined;
    },
  ) {}

  async saml11(trust: RelyingPartyTrust, auth: Authentication, protocol: Protocol, now = new Date()): Promise<Saml11Assertion> {
    const claims = issueClaims(trust, auth, this.deps.domains);
    const token = await saml11FromClaims({ trust, claims, auth, protocol, defaultIssuer: this.deps.defaultIssuer, signer: this.deps.signer(), now });
    await this.deps.audit?.record({ at: now, type: 'token.issued', outcome: 'success', user: auth.user.upn, relyingParty: trust.identifier, details: { protocol, tokenType: 'saml11', assertionId: token.assertionId, notOnOrAfter: token.notOnOrAfter.toISOString() } });
    return token;
  }
}
