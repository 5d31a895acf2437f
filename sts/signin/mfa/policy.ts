import type { DirectoryUser } from '../../../directory/types.js';
import { AuthMethod, type Authentication, type SignInRequest } from '../types.js';

/** Why a sign-in needs a second factor: the request asked, or the trust, a group, or the network demands it. */
export type MfaReason = 'requested' | 'trust' | 'group' | 'extranet';

/**
 * Method URIs that ask for MFA: wauth (WS-Fed; Entra sends it for enforceMfaByFederatedIdp,
 * ENTRA.md §2.1, §5.1) and, mapped by the SAML adapter, RequestedAuthnContext.
 */
export const MFA_REQUESTS = new Set<string>([AuthMethod.multipleAuthn]);

/** Membership by group name, DN or SID, case-insensitively (AD compares names and DNs that way). */
export function inAnyGroup(user: DirectoryUser, groups: readonly string[]): boolean {
  if (groups.length === 0) return false;
  const wanted = new Set(groups.map((g) => g.toLowerCase()));
  return user.groups.some((g) => wanted.has(g.name.toLowerCase()) || wanted.has(g.dn.toLowerCase()) || (g.sid !== undefined && wanted.has(g.sid.toLowerCase())));
}

/**
 * The one place that decides whether MFA is needed (AD FS's access-control policies, reduced to
 * what its admins use most): on request, per relying-party trust, per AD group, or from the extranet.
 */
export class MfaPolicy {
  private readonly trusts: Set<string>;

  constructor(private readonly cfg: { trusts: string[]; groups: string[]; extranet: boolean }) {
    this.trusts = new Set(cfg.trusts);
  }

  /** Whether the request itself asks for MFA (a step-up no SSO session without MFA satisfies). */
  requested(req: SignInRequest): boolean {
    return req.requestedMethods.some((m) => MFA_REQUESTS.has(m));
  }

  /** Why this sign-in of this user needs a second factor, or undefined when the first factor is enough. */
  reason(req: SignInRequest, auth: Authentication): MfaReason | undefined {
    if (this.requested(req)) return 'requested';
    if (this.trusts.has(req.trust.identifier)) return 'trust';
    if (inAnyGroup(auth.user, this.cfg.groups)) return 'group';
    if (this.cfg.extranet && !auth.insideCorporateNetwork) return 'extranet';
    return undefined;
  }
}
