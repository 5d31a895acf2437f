import { ClaimType } from '../sts/claims/types.js';

/** A claim type as federation metadata offers it (WS-Federation 1.2 §3.1.6, auth:ClaimType). */
export interface OfferedClaimType {
  uri: string;
  displayName: string;
  description: string;
}

// Keyed by ClaimType so a claim type added there fails to compile until metadata describes it.
const described = {
  nameIdentifier: ['Name ID', 'The identifier of the user as the relying party knows it (for Microsoft Entra ID: the ImmutableID).'],
  upn: ['UPN', 'The user principal name (UPN) of the user.'],
  immutableId: ['ImmutableID', 'The source anchor that links the user to the Microsoft Entra ID account.'],
  insideCorporateNetwork: ['Inside Corporate Network', 'Whether the sign-in came from inside the corporate network.'],
  authnMethodsReferences: ['Authentication Methods References', 'The methods the user authenticated with, including multi-factor authentication.'],
  issuerId: ['Issuer ID', 'The issuer chosen for the federated domain of the user.'],
  psso: ['Persistent SSO', 'Whether the user chose to stay signed in.'],
  mfaInstant: ['Multi-Factor Authentication Instant', 'When the user last completed multi-factor authentication (UTC).'],
  passwordExpirationTime: ['Password Expiration Time', 'When the password of the user expires (UTC).'],
  email: ['E-Mail Address', 'The e-mail address of the user.'],
  name: ['Name', 'The name of the user.'],
  givenName: ['Given Name', 'The given name of the user.'],
  surname: ['Surname', 'The surname of the user.'],
  group: ['Group', 'A group the user is a member of.'],
  primarySid: ['Primary SID', 'The security identifier (SID) of the user.'],
  windowsAccountName: ['Windows account name', 'The domain account name of the user in the form domain\\user.'],
} as const satisfies Record<keyof typeof ClaimType, readonly [string, string]>;

/** Every claim type Gatehouse issues, in ClaimType order, for `fed:ClaimTypesOffered`. */
export const offeredClaimTypes: readonly OfferedClaimType[] = (Object.keys(ClaimType) as (keyof typeof ClaimType)[]).map((key) => ({
  uri: ClaimType[key],
  displayName: described[key][0],
  description: described[key][1],
}));
