import type { Directory, DirectoryUser } from '../../../directory/types.js';
import type { FederatedDomain } from '../../claims/issuer.js';
import { issueClaims } from '../../claims/rules.js';
import { ClaimType, type Claim } from '../../claims/types.js';
import type { Authentication } from '../../signin/types.js';
import type { ClaimMapping } from '../../trusts/trust.js';
import { clientTrust, type OidcClient } from './clients.js';
import { jwtClaims, methodsOf } from './jwt-claims.js';

/**
 * The rules every OpenID Connect client gets before its own `claims` (AD FS's ID token: upn, sid,
 * groups; the profile and email scopes' attributes). They run in the same rule engine as a
 * WS-Federation or SAML trust's mappings (sts/claims/).
 */
const BUILT_IN_RULES: ClaimMapping[] = [
  { attribute: 'upn', claimType: ClaimType.upn },
  { attribute: 'sid', claimType: ClaimType.primarySid },
  { attribute: 'groups', claimType: ClaimType.group },
  { attribute: 'mail', claimType: ClaimType.email },
  { attribute: 'givenName', claimType: ClaimType.givenName },
  { attribute: 'sn', claimType: ClaimType.surname },
];

/** How the user signed in, as a token or session remembers it. */
export interface SignInFacts {
  amr: readonly string[];
  /** Seconds since the epoch. */
  authTime?: number | undefined;
  clientIp: string;
}

/**
 * Users as OpenID Connect sees them: re-read from the directory for every token, refresh and
 * userinfo call (so a disabled or deleted user stops getting tokens at once, as with SSO re-issue),
 * and their claims from the client's rules.
 */
export class OidcAccounts {
  constructor(
    private readonly deps: {
      directory: Directory;
      domains: FederatedDomain[];
      /** DOMAIN of DOMAIN\sam, AD FS's unique_name (windowsaccountname); the UPN when unknown. */
      netbiosDomain?: string | undefined;
      insideCorporateNetwork: (ip: string) => boolean;
      tokenLifetimeMinutes: number;
    },
  ) {}

  /** The account behind an accountId (the objectGUID), when it may still sign in. */
  async user(accountId: string): Promise<DirectoryUser | undefined> {
    const user = await this.deps.directory.findUser({ objectGuid: accountId });
    return user && user.accountState === 'enabled' ? user : undefined;
  }

  /** `sub` for this client: the objectGUID, or the ImmutableID where the client asks for it. */
  subject(client: OidcClient, user: DirectoryUser): string {
    return client.subject === 'immutableId' ? user.immutableId : user.objectGuid;
  }

  /**
   * The claims of a token for `client` (plus a resource's own rules for its access tokens), JWT-named.
   * `sub` is the account id: the provider maps it for the client (`subject`) in every token alike.
   */
  claims(client: OidcClient, user: DirectoryUser, facts: SignInFacts, resourceRules: ClaimMapping[] = []): Record<string, string | string[]> & { sub: string } {
    const trust = { ...clientTrust(client, this.deps.tokenLifetimeMinutes), claims: [...BUILT_IN_RULES, ...client.claims, ...resourceRules] };
    const instant = facts.authTime ? new Date(facts.authTime * 1000) : new Date();
    const auth: Authentication = {
      user,
      methods: methodsOf(facts.amr),
      instant,
      mfaInstant: facts.amr.includes('mfa') ? instant : undefined,
      insideCorporateNetwork: this.deps.insideCorporateNetwork(facts.clientIp),
      persistent: false,
    };
    const issued: Claim[] = issueClaims(trust, auth, this.deps.domains);
    const account = this.deps.netbiosDomain ? `${this.deps.netbiosDomain}\\${user.samAccountName}` : user.upn;
    issued.push({ type: ClaimType.windowsAccountName, value: account });
    return {
      ...jwtClaims(issued),
      ...(user.displayName ? { name: user.displayName } : {}),
      sub: user.objectGuid,
    };
  }
}
