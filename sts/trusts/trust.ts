import type { Config } from '../../config/load.js';
import { trust as trustSchema } from '../../config/schema.js';
import type { SignatureAlgorithm } from '../../keys/signer.js';
import type { StoredTrust } from '../../store/types.js';

export const ENTRA_IDENTIFIER = 'urn:federation:MicrosoftOnline';

export interface ClaimMapping {
  attribute: string;
  claimType: string;
}

export interface SamlEndpoint {
  binding: 'post' | 'redirect';
  location: string;
  index?: number | undefined;
  isDefault: boolean;
  /** SLO endpoints: where responses go, when not to `location` (SAML 2.0 Metadata §2.2.2 ResponseLocation). */
  responseLocation?: string | undefined;
}

/** A SAML 2.0 service provider's side of a trust (config `trusts[].saml`, or its metadata). */
export interface SamlTrustSettings {
  assertionConsumerServices: SamlEndpoint[];
  singleLogoutServices: SamlEndpoint[];
  /** PEM certificates whose keys may sign this party's requests. */
  signingCertificates: string[];
  requireSignedRequests: boolean;
  sign: 'assertion' | 'response' | 'both';
  allowSha1: boolean;
  encryptionCertificate?: string | undefined;
  dataEncryption: 'aes256-gcm' | 'aes256-cbc';
  nameIdFormat: 'persistent' | 'transient' | 'emailAddress' | 'unspecified';
  allowIdpInitiated: boolean;
}

/** A relying party as the sign-in path sees it, whichever way it was configured. */
export interface RelyingPartyTrust {
  identifier: string;
  name: string;
  replyUrls: string[];
  ruleSet: 'office365' | 'mapped';
  nameIdAttribute: string;
  claims: ClaimMapping[];
  tokenLifetimeMinutes: number;
  signatureAlgorithm: SignatureAlgorithm;
  allowWsTrust: boolean;
  /** AD FS extranet policy: rich clients from outside the corporate network (issue [D] item 2). */
  allowWsTrustFromExtranet: boolean;
  signOutUrl: string;
  /** Present when the party speaks SAML 2.0. */
  saml?: SamlTrustSettings | undefined;
}

/**
 * ENTRA.md §3: Entra as a SAML 2.0 SP. Its AuthnRequests name no ACS, so its one ACS is login.srf
 * (§3.2); they are signed RSA-SHA1 when isSignedAuthenticationRequestRequired (§3.1), hence
 * allowSha1 for its requests only; NameID persistent (§3.2). Sign-out comes over HTTP-Redirect
 * (§3.3) and the LogoutResponse goes back to login.srf *(unconfirmed)*.
 */
function entraSaml(e: Config['entra'], requireSigned: boolean): SamlTrustSettings {
  return {
    assertionConsumerServices: [{ binding: 'post', location: e.replyUrl, index: 0, isDefault: true }],
    singleLogoutServices: [{ binding: 'redirect', location: e.replyUrl, isDefault: true }],
    signingCertificates: e.samlRequestSigningCertificates,
    requireSignedRequests: requireSigned,
    sign: 'assertion',
    allowSha1: true,
    dataEncryption: 'aes256-gcm',
    nameIdFormat: 'persistent',
    allowIdpInitiated: false,
  };
}

/** Entra is one trust, made from the `entra` settings (ENTRA.md §2.1–§2.2). */
function entraTrust(e: Config['entra'], requireSignedSaml = false): RelyingPartyTrust {
  return {
    identifier: ENTRA_IDENTIFIER,
    name: 'Microsoft Entra ID',
    replyUrls: [e.replyUrl],
    ruleSet: 'office365',
    nameIdAttribute: 'immutableId',
    claims: [],
    tokenLifetimeMinutes: e.tokenLifetimeMinutes,
    signatureAlgorithm: 'rsa-sha256',
    allowWsTrust: e.allowWsTrust,
    allowWsTrustFromExtranet: e.allowWsTrustFromExtranet,
    signOutUrl: e.replyUrl,
    saml: entraSaml(e, requireSignedSaml),
  };
}

type ConfigTrust = Config['trusts'][number];

/** A `trusts[]` entry as the sign-in path sees it; the one mapping for config-defined and stored trusts. */
function fromConfigTrust(t: ConfigTrust): RelyingPartyTrust {
  return { ...t, signOutUrl: t.signOutUrl ?? t.replyUrls[0]! };
}

/**
 * Every relying party: Entra and the config's trusts, fixed at start, plus the trusts added from
 * metadata (`gatehouse trust`), which `useStored` replaces as every node re-reads the store
 * (sts/trusts/keep-trusts.ts). Callers hold this one object and see each new set at once.
 */
export class TrustRegistry {
  private readonly configured = new Map<string, RelyingPartyTrust>();
  private stored = new Map<string, RelyingPartyTrust>();

  constructor(trusts: RelyingPartyTrust[]) {
    for (const t of trusts) {
      const key = trustKey(t.identifier);
      if (this.configured.has(key)) throw new Error(`two relying-party trusts have the identifier ${t.identifier}`);
      this.configured.set(key, t);
    }
  }

  static fromConfig(config: Pick<Config, 'entra' | 'trusts'> & { federation?: Pick<Config['federation'], 'isSignedAuthenticationRequestRequired'> }): TrustRegistry {
    const entra = config.entra.enabled ? [entraTrust(config.entra, config.federation?.isSignedAuthenticationRequestRequired ?? false)] : [];
    return new TrustRegistry([...entra, ...config.trusts.map(fromConfigTrust)]);
  }

  /** AD FS matches identifiers case-insensitively and ignores a trailing slash on URLs. */
  find(identifier: string): RelyingPartyTrust | undefined {
    const key = trustKey(identifier);
    return this.configured.get(key) ?? this.stored.get(key);
  }

  all(): RelyingPartyTrust[] {
    return [...this.configured.values(), ...this.stored.values()];
  }

  /** True when the config (or Entra) defines this identifier: such a trust cannot be added to the store. */
  isConfigured(identifier: string): boolean {
    return this.configured.has(trustKey(identifier));
  }

  /**
   * Makes `trusts` the stored set. Skipped, and returned with the reason: one the config defines
   * (config wins), one whose metadata validUntil has passed, one the trust schema refuses.
   */
  useStored(trusts: StoredTrust[], now = new Date()): { id: string; why: string }[] {
    const next = new Map<string, RelyingPartyTrust>();
    const skipped: { id: string; why: string }[] = [];
    for (const s of trusts) {
      if (this.configured.has(s.id)) skipped.push({ id: s.id, why: 'the config defines a trust with this identifier' });
      else if (s.validUntil && s.validUntil <= now) skipped.push({ id: s.id, why: `its metadata expired at ${s.validUntil.toISOString()}` });
      else {
        const parsed = trustSchema.safeParse(s.trust);
        if (parsed.success) next.set(s.id, fromConfigTrust(parsed.data));
        else skipped.push({ id: s.id, why: `not a valid trust: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
      }
    }
    this.stored = next;
    return skipped;
  }
}

/** The form identifiers are matched (and stored trusts keyed) in. */
export function trustKey(identifier: string): string {
  return identifier.trim().toLowerCase().replace(/\/+$/, '');
}

/**
 * The reply URL a token may go to: the requested one only when it is registered for the trust,
 * compared exactly apart from scheme/host case (no prefix matching: that is an open redirect).
 */
export function allowedReply(trust: RelyingPartyTrust, requested: string | undefined): string | undefined {
  if (!requested) return trust.replyUrls[0];
  let want: URL;
  try {
    want = new URL(requested);
  } catch {
    return undefined;
  }
  return trust.replyUrls.find((u) => new URL(u).href === want.href);
}
