import type { AuthFailureReason, ChangePasswordResult } from './types.js';

/**
 * AD's bind failures all come as invalidCredentials (49) with the Win32 error in the diagnostic
 * text: `80090308: LdapErr: DSID-…, comment: AcceptSecurityContext error, data 52e, v…`.
 * The `data` code names the reason (MS-ADTS 3.1.1.3.4.1.19 is silent; these are the documented
 * Win32 codes AD and Samba both send).
 */
const bySubCode: Record<string, AuthFailureReason> = {
  '525': 'no-such-user', // ERROR_NO_SUCH_USER
  '52e': 'bad-password', // ERROR_LOGON_FAILURE
  '530': 'logon-hours', // ERROR_INVALID_LOGON_HOURS
  '531': 'workstation', // ERROR_INVALID_WORKSTATION
  '532': 'password-expired', // ERROR_PASSWORD_EXPIRED
  '533': 'account-disabled', // ERROR_ACCOUNT_DISABLED
  '701': 'account-expired', // ERROR_ACCOUNT_EXPIRED
  '773': 'must-change-password', // ERROR_PASSWORD_MUST_CHANGE
  '775': 'locked-out', // ERROR_ACCOUNT_LOCKED_OUT
};

const subCodePattern = /\bdata ([0-9a-f]{3,8})\b/i;

/** The `data XXX` sub-code of an AD bind error text, lower-case; null when there is none. */
export function bindSubCode(message: string): string | null {
  return subCodePattern.exec(message)?.[1]?.toLowerCase() ?? null;
}

/**
 * The typed reason for a failed bind. An invalidCredentials answer without a known sub-code is
 * a bad password (plain LDAP servers say no more); anything else is not the user's fault.
 */
export function bindFailureReason(code: number | undefined, message: string): AuthFailureReason {
  const sub = bindSubCode(message);
  const known = sub === null ? undefined : bySubCode[sub];
  if (known) return known;
  return code === 49 ? 'bad-password' : 'directory-unavailable';
}

/**
 * The typed reason AD gives for a refused password change (delete old + add new unicodePwd):
 * constraintViolation (19) with the Win32 code first in the text. 00000056 ERROR_INVALID_PASSWORD
 * = the old password is wrong; 0000052D ERROR_PASSWORD_RESTRICTION = length, complexity, history
 * or minimum age (Samba 4.17 and Windows send the same codes).
 */
export function changeFailureReason(code: number | undefined, message: string): Exclude<ChangePasswordResult, { ok: true }>['reason'] {
  if (code !== 19) return 'directory-unavailable';
  const win32 = /^\s*([0-9a-f]{8}):/i.exec(message)?.[1]?.toUpperCase();
  if (win32 === '00000056') return 'bad-password';
  if (win32 === '0000052D') return 'policy';
  return 'directory-unavailable';
}
