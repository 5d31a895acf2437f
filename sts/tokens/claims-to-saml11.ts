import type { Signer } from '../../keys/signer.js';
import { ClaimType, NameIdFormat, splitClaimType, type Claim } from '../claims/types.js';
import { AuthMethod, type Authentication, type Protocol } from '../signin/types.js';
import type { RelyingPartyTrust } from '../trusts/trust.js';
import { buildSaml11Assertion, type Saml11Assertion, type Saml11Attribute } from './saml11-assertion.js';

/**
 * ENTRA.md §2.7 / §5.2: the AuthenticationStatement method. MFA wins; otherwise AD FS writes
 * PasswordProtectedTransport for a forms sign-in and SAML 1.0 `am:password` for WS-Trust username.
 */
export function statementMethod(auth: Authentication, protocol: Protocol): string {
  if (auth.methods.includes(AuthMethod.multipleAuthn)) return AuthMethod.multipleAuthn;
  if (auth.methods.includes(AuthMethod.tlsClient)) return AuthMethod.tlsClient;
  return protocol === 'wstrust' ? AuthMethod.saml11Password : AuthMethod.passwordProtectedTransport;
}

/** Claims that steer the token rather than appear in it. */
const notAttributes = new Set<string>([ClaimType.nameIdentifier, ClaimType.issuerId]);

/** Groups claim values by type into SAML 1.1 Attributes, keeping the rules' order. */
function attributesOf(claims: Claim[]): Saml11Attribute[] {
  const byType = new Map<string, string[]>();
  for (const c of claims) {
    if (notAttributes.has(c.type)) continue;
    const values = byType.get(c.type) ?? [];
    values.push(c.value);
    byType.set(c.type, values);
  }
  return [...byType].map(([type, values]) => ({ ...splitClaimType(type), values }));
}

/**
 * The SAML 1.1 assertion for a trust, from the claim list alone (ARCHITECTURE.md: claims are the only
 * thing a token builder sees). The issuerid claim, when present, is the Issuer (ENTRA.md §4.2).
 */
export async function saml11FromClaims(p: {
  trust: RelyingPartyTrust;
  claims: Claim[];
  auth: Authentication;
  protocol: Protocol;
  defaultIssuer: string;
  signer: Signer;
  now?: Date;
}): Promise<Saml11Assertion> {
  const now = p.now ?? new Date();
  const nameId = p.claims.find((c) => c.type === ClaimType.nameIdentifier);
  if (!nameId) throw new Error(`claim rules of ${p.trust.identifier} produced no NameIdentifier`);
  const issuer = p.claims.find((c) => c.type === ClaimType.issuerId)?.value ?? p.defaultIssuer;
  return buildSaml11Assertion({
    issuer,
    audience: p.trust.identifier,
    issueInstant: now,
    // ENTRA.md §2.5: NotBefore = issue time, as AD FS does.
    notBefore: now,
    notOnOrAfter: new Date(now.getTime() + p.trust.tokenLifetimeMinutes * 60_000),
    subject: { nameId: nameId.value, format: nameId.format ?? NameIdFormat.unspecified },
    attributes: attributesOf(p.claims),
    authentication: { method: statementMethod(p.auth, p.protocol), instant: p.auth.instant },
    signer: p.signer,
    algorithm: p.trust.signatureAlgorithm,
  });
}
