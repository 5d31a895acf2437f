import type { Entry } from 'ldapts';
import { guidFromBytes, immutableIdFromBytes } from './guid.js';
import { sidToString } from './sid.js';
import type { AccountState, DirectoryGroup, DirectoryUser, Upn } from './types.js';

/** Binary attributes: read as Buffers (ldapts `explicitBufferAttributes`), never as text. */
export const binaryAttributes = ['objectGUID', 'mS-DS-ConsistencyGuid', 'objectSid', 'tokenGroups'];

/** The attributes every lookup loads; `extra` ones are for claim rules. */
export function userAttributes(extra: string[]): string[] {
  return [
    'objectGUID', 'mS-DS-ConsistencyGuid', 'userPrincipalName', 'sAMAccountName', 'displayName',
    'givenName', 'sn', 'mail', 'pwdLastSet', 'msDS-UserPasswordExpiryTimeComputed', 'objectSid',
    'userAccountControl', 'accountExpires', 'msDS-User-Account-Control-Computed',
    ...extra,
  ];
}

const never = 0x7fffffffffffffffn;
const epochDelta = 11_644_473_600_000n; // ms between 1601-01-01 and 1970-01-01

/** FILETIME (100 ns since 1601) → Date; 0 and "never" have no date. */
export function filetimeToDate(value: string | undefined): Date | undefined {
  if (!value || !/^\d+$/.test(value)) return undefined;
  const ticks = BigInt(value);
  if (ticks === 0n || ticks >= never) return undefined;
  return new Date(Number(ticks / 10_000n - epochDelta));
}

function first(entry: Entry, name: string): string | undefined {
  const value = entry[name];
  const one = Array.isArray(value) ? value[0] : value;
  return typeof one === 'string' && one !== '' ? one : undefined;
}

function firstBuffer(entry: Entry, name: string): Buffer | undefined {
  const value = entry[name];
  const one = Array.isArray(value) ? value[0] : value;
  return Buffer.isBuffer(one) ? one : undefined;
}

export function buffers(entry: Entry, name: string): Buffer[] {
  const value = entry[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is Buffer => Buffer.isBuffer(v));
}

function textAttributes(entry: Entry): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(entry)) {
    if (name === 'dn' || binaryAttributes.includes(name)) continue;
    const list = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    if (list.length > 0) out[name] = list;
  }
  return out;
}

const UF_ACCOUNTDISABLE = 0x2;
const UF_LOCKOUT = 0x10; // in msDS-User-Account-Control-Computed, which honours the lockout duration (MS-ADTS 3.1.1.4.5.17)

/** From userAccountControl, accountExpires and the computed lockout flag. */
export function accountState(entry: Entry, now = new Date()): AccountState {
  if (Number(first(entry, 'userAccountControl') ?? 0) & UF_ACCOUNTDISABLE) return 'disabled';
  const expires = filetimeToDate(first(entry, 'accountExpires'));
  if (expires && expires <= now) return 'expired';
  if (Number(first(entry, 'msDS-User-Account-Control-Computed') ?? 0) & UF_LOCKOUT) return 'locked-out';
  return 'enabled';
}

/**
 * A search entry → DirectoryUser. The source anchor is ms-DS-ConsistencyGuid when set, else
 * objectGUID (ENTRA.md §7.1); null when the entry lacks what every AD user has.
 */
export function toDirectoryUser(entry: Entry, groups: DirectoryGroup[], implicitUpnSuffix: string): DirectoryUser | null {
  const guidBytes = firstBuffer(entry, 'objectGUID');
  const sam = first(entry, 'sAMAccountName');
  if (!guidBytes || guidBytes.length !== 16 || !sam) return null;
  const consistency = firstBuffer(entry, 'mS-DS-ConsistencyGuid');
  const anchor = consistency && consistency.length === 16 ? consistency : guidBytes;
  const user: DirectoryUser = {
    dn: entry.dn,
    objectGuid: guidFromBytes(guidBytes),
    immutableId: immutableIdFromBytes(anchor),
    // An account without userPrincipalName still has its implicit UPN sam@dns-domain (MS-ADTS 5.1.1.1.1).
    upn: (first(entry, 'userPrincipalName') ?? `${sam}@${implicitUpnSuffix}`) as Upn,
    samAccountName: sam,
    groups,
    attributes: textAttributes(entry),
    accountState: accountState(entry),
  };
  const optional: [keyof DirectoryUser, string][] = [['displayName', 'displayName'], ['givenName', 'givenName'], ['surname', 'sn'], ['mail', 'mail']];
  for (const [key, attribute] of optional) {
    const value = first(entry, attribute);
    if (value !== undefined) Object.assign(user, { [key]: value });
  }
  const sidBytes = firstBuffer(entry, 'objectSid');
  const sid = sidBytes && sidToString(sidBytes);
  if (sid) user.sid = sid;
  const lastSet = filetimeToDate(first(entry, 'pwdLastSet'));
  if (lastSet) user.passwordLastSet = lastSet;
  const expires = filetimeToDate(first(entry, 'msDS-UserPasswordExpiryTimeComputed'));
  if (expires) user.passwordExpiresAt = expires;
  return user;
}
