import type { LocatedAccount, LocateResult } from './types.js';

/*
 * The one place the shape and size of a typed user name and password are decided, for sign-in,
 * WS-Trust and password change alike, before anything reaches a directory.
 */

/** How the user typed their name on the sign-in form or in a WS-Trust message. */
export type ParsedUsername =
  | { kind: 'upn'; upn: string }
  | { kind: 'sam'; sam: string; domain?: string };

/**
 * Longest user name taken. sAMAccountName is ≤ 20 characters; userPrincipalName may be longer in
 * the schema, but no sign-in name in practice is over 256.
 */
export const MAX_USERNAME_LENGTH = 256;
/** Longest password passed on: AD's own limit is 256 characters (MS-ADTS 3.1.1.3.1.5). */
export const MAX_PASSWORD_LENGTH = 256;

const control = /[\u0000-\u001f\u007f]/;

/**
 * Splits `user@suffix`, `DOMAIN\sam` and `sam`. Returns null for input no account can have:
 * empty, over-long, or holding control characters (NUL would cut a C string on the DC side).
 */
export function parseUsername(input: string): ParsedUsername | null {
  if (input.length === 0 || input.length > MAX_USERNAME_LENGTH || control.test(input)) return null;
  const slash = input.indexOf('\\');
  if (slash >= 0) {
    const domain = input.slice(0, slash);
    const sam = input.slice(slash + 1);
    return domain && sam && !sam.includes('\\') ? { kind: 'sam', sam, domain } : null;
  }
  if (input.includes('@')) return { kind: 'upn', upn: input };
  return { kind: 'sam', sam: input };
}

/**
 * A password a directory may be asked to check: a non-empty string (an empty simple bind is an
 * anonymous bind that "succeeds", RFC 4513 §5.1.2), bounded, without NUL (it would end the value
 * in the DC's C code).
 */
export function validPassword(password: unknown): password is string {
  return typeof password === 'string' && password.length > 0 && password.length <= MAX_PASSWORD_LENGTH && !password.includes('\0');
}

/**
 * An altSecurityIdentities value worth a search: `X509:<…>…`, bounded, no control characters. It
 * comes from a certificate's names, which its issuer chose; the filter escapes it all the same.
 */
export function validAltSecurityIdentity(value: string): boolean {
  return value.startsWith('X509:<') && value.length <= 1024 && !control.test(value);
}

/** The typed name, trimmed, when it can be an account's name at all. */
export function typedUsername(username: unknown): string | undefined {
  if (typeof username !== 'string') return undefined;
  const name = username.trim();
  return parseUsername(name) ? name : undefined;
}

/**
 * `who` as one of this directory's own accounts: a typed name is located now, an account is
 * checked to come from the directory's own `locate` (it carries that directory's handle).
 */
export async function ownAccount<A extends LocatedAccount>(
  who: string | LocatedAccount,
  own: abstract new (...args: never[]) => A,
  locate: (name: string) => Promise<LocateResult>,
): Promise<A | Extract<LocateResult, { ok: false }>> {
  if (typeof who !== 'string') {
    if (!(who instanceof own)) throw new TypeError('directory: an account located by another directory');
    return who;
  }
  const located = await locate(who);
  return located.ok ? (located.account as A) : located;
}
