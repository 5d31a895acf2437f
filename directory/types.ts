/** user@suffix as stored in userPrincipalName (case preserved, compared case-insensitively by AD). */
export type Upn = string & { readonly __brand: 'Upn' };
/** objectGUID in its canonical lower-case string form (first three fields little-endian on the wire). */
export type ObjectGuid = string & { readonly __brand: 'ObjectGuid' };
/** base64 of the 16 source-anchor bytes, as Entra's onPremisesImmutableId (ENTRA.md §7.1). */
export type ImmutableId = string & { readonly __brand: 'ImmutableId' };

export interface DirectoryGroup {
  dn: string;
  name: string;
  /** String SID (S-1-5-21-…) when the directory knows one. */
  sid?: string;
}

export interface DirectoryUser {
  dn: string;
  objectGuid: ObjectGuid;
  immutableId: ImmutableId;
  upn: Upn;
  samAccountName: string;
  /** The account's own SID (objectSid, S-1-5-21-…), when the directory has one: the `sid` / primarysid claim. */
  sid?: string;
  displayName?: string;
  givenName?: string;
  surname?: string;
  mail?: string;
  /** Every group the user is in, nested membership included. */
  groups: DirectoryGroup[];
  /** Raw string attributes, for claim rules that name an LDAP attribute. */
  attributes: Record<string, string[]>;
  passwordExpiresAt?: Date;
  passwordLastSet?: Date;
  /**
   * Whether AD would let the account sign in now, apart from its password: SSO re-issue checks it,
   * so a user disabled, expired or locked after signing in stops getting tokens at once.
   */
  accountState: AccountState;
}

export type AccountState = 'enabled' | 'disabled' | 'expired' | 'locked-out';

export type AuthFailureReason =
  | 'no-such-user'
  | 'bad-password'
  | 'logon-hours'
  | 'workstation'
  | 'password-expired'
  | 'account-disabled'
  | 'account-expired'
  | 'must-change-password'
  | 'locked-out'
  | 'invalid-input'
  | 'directory-unavailable';

export type AuthResult =
  | { ok: true; user: DirectoryUser }
  | { ok: false; reason: AuthFailureReason; upn?: string };

/** A user's own password change (old password known), as AD FS's update-password page does it. */
export type ChangePasswordResult =
  | { ok: true; upn?: string }
  | { ok: false; reason: 'bad-password' | 'policy' | 'no-such-user' | 'invalid-input' | 'directory-unavailable'; upn?: string };

export type UserQuery =
  | { upn: string }
  | { sam: string }
  | { objectGuid: string }
  /** Certificate mapping (MS-PKCA 3.1.5.2.1.3): the user carrying any of these altSecurityIdentities values, e.g. `X509:<SKI>…`. */
  | { altSecurityIdentities: string[] };

export interface DcHealth {
  dc: string;
  ok: boolean;
  error?: string;
  ms: number;
  /** The DC's clock when it answered: rootDSE currentTime (MS-ADTS 3.1.1.3.2.13), whole seconds. */
  currentTime?: Date;
}

/**
 * The account a typed sign-in name names, found without its password, so lockout can be decided
 * before a bind: one `key` per account whatever form the name was typed in (UPN, DOMAIN\sam,
 * sam). A name no account has is located too (`upn` undefined), with a key of its canonical form,
 * and checking a password against it answers no-such-user.
 */
export interface LocatedAccount {
  /** `guid:<objectGUID>` for an account, `name:<canonical name>` when there is none. */
  readonly key: string;
  readonly upn?: string | undefined;
}

export type LocateResult =
  | { ok: true; account: LocatedAccount }
  | { ok: false; reason: 'invalid-input' | 'directory-unavailable' };

export interface Directory {
  /** Resolves a typed name (UPN, DOMAIN\sam — the NetBIOS domain must be this one's — or sam). */
  locate(username: string): Promise<LocateResult>;
  /** `who`: a typed name, or an account `locate` of this directory returned. */
  authenticate(who: string | LocatedAccount, password: string): Promise<AuthResult>;
  findUser(query: UserQuery): Promise<DirectoryUser | null>;
  /** Works for an expired or must-change password too: that is what it is for. */
  changePassword(who: string | LocatedAccount, oldPassword: string, newPassword: string): Promise<ChangePasswordResult>;
  checkHealth(): Promise<DcHealth[]>;
  /** AD's own account lockout (absent for a directory that locks nothing, such as the file directory). */
  lockoutPolicy?(): Promise<AdLockoutPolicy>;
  close(): Promise<void>;
}

/**
 * The bad-password counts at which AD locks an account (0: never): the domain's default policy and
 * each fine-grained password policy (PSO) the service account can read; `psosReadable` false when
 * the Password Settings Container could not be read (by default only administrators may).
 */
export interface AdLockoutPolicy {
  domain: number;
  psos: { name: string; threshold: number }[];
  psosReadable: boolean;
}

/**
 * Told of every LDAP operation the pool runs, with its duration and whether the DC answered it
 * (`refused`: an LDAP error answer such as a wrong password; `error`: no answer), for the latency
 * histograms of /metrics (health/metrics.ts).
 */
export type LdapTimer = (operation: 'bind' | 'search' | 'modify', seconds: number, result: 'ok' | 'refused' | 'error') => void;

/** The part of a pino logger the directory writes to. */
export interface DirectoryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
