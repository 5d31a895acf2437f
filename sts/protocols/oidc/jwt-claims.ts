import { ClaimType, type Claim } from '../../claims/types.js';
import { AuthMethod } from '../../signin/types.js';

/**
 * Claim type URIs → JWT claim names, as AD FS maps them in its ID and access tokens (its JWT
 * claim-type map); a type without a short name keeps its URI as the name, as AD FS does.
 */
const JWT_NAME: Record<string, string> = {
  [ClaimType.upn]: 'upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'upn',
  [ClaimType.name]: 'unique_name',
  [ClaimType.windowsAccountName]: 'unique_name',
  [ClaimType.primarySid]: 'sid',
  [ClaimType.group]: 'groups',
  [ClaimType.email]: 'email',
  [ClaimType.givenName]: 'given_name',
  [ClaimType.surname]: 'family_name',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': 'role',
};

/** Claims every token carries regardless: the NameIdentifier is `sub`, the methods are `amr`. */
const CARRIED_ELSEWHERE = new Set<string>([ClaimType.nameIdentifier, ClaimType.authnMethodsReferences]);

/** Multi-valued claim names: an array even with one value, so clients need not handle both shapes. */
const ALWAYS_ARRAY = new Set(['groups', 'role']);

/** The claim rules' output as JWT claims: one name per type, several values as an array. */
export function jwtClaims(claims: Claim[]): Record<string, string | string[]> {
  const values = new Map<string, string[]>();
  for (const c of claims) {
    if (CARRIED_ELSEWHERE.has(c.type)) continue;
    const name = JWT_NAME[c.type] ?? c.type;
    const list = values.get(name) ?? [];
    if (!list.includes(c.value)) list.push(c.value);
    values.set(name, list);
  }
  const out: Record<string, string | string[]> = {};
  for (const [name, list] of values) out[name] = list.length === 1 && !ALWAYS_ARRAY.has(name) ? list[0]! : list;
  return out;
}

/** Sign-in method URIs (AD FS) → `amr` values (RFC 8176 §2); MFA done adds `mfa`. */
const AMR: Record<string, string> = {
  [AuthMethod.password]: 'pwd',
  [AuthMethod.passwordProtectedTransport]: 'pwd',
  [AuthMethod.saml11Password]: 'pwd',
  [AuthMethod.tlsClient]: 'x509',
  [AuthMethod.windows]: 'wia',
  [AuthMethod.multipleAuthn]: 'mfa',
};

export function amrOf(methods: string[], mfaDone: boolean): string[] {
  const amr = methods.map((m) => AMR[m]).filter((v): v is string => v !== undefined);
  if (mfaDone) amr.push('mfa');
  return [...new Set(amr)];
}

/** The other way, for claim rules run later from a token's `amr` (refresh, userinfo). */
export function methodsOf(amr: readonly string[]): string[] {
  const back: Record<string, string> = { pwd: AuthMethod.password, x509: AuthMethod.tlsClient, wia: AuthMethod.windows, mfa: AuthMethod.multipleAuthn };
  return amr.map((a) => back[a]).filter((v): v is string => v !== undefined);
}

/**
 * Which claims each scope releases (OIDC Core §5.4), AD FS's names: `openid` alone already carries
 * who the user is in AD (upn, unique_name, sid); `allatclaims` adds the rest the rules issue.
 */
export const SCOPE_CLAIMS = {
  openid: ['sub', 'upn', 'unique_name', 'sid', 'amr'],
  profile: ['name', 'given_name', 'family_name', 'upn', 'unique_name'],
  email: ['email'],
  allatclaims: ['upn', 'unique_name', 'sid', 'groups', 'role', 'name', 'given_name', 'family_name', 'email'],
} as const;
