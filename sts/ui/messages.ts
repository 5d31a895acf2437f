import type { SignInFailure } from '../signin/pipeline.js';

/*
 * What the login page says per outcome. No-such-user and bad-password share AD FS's wording so
 * the page does not reveal whether an account exists. AD reports the expiry, disabled and logon
 * restriction sub-codes only for a correct password, so naming them tells an attacker nothing
 * new; lockout (775) AD FS names too.
 */
const wrong = 'Incorrect user ID or password. Type the correct user ID and password, and try again.';

export const signInMessages: Record<SignInFailure, string> = {
  'no-such-user': wrong,
  'bad-password': wrong,
  'invalid-input': 'Enter your user ID in the format domain\\user or user@domain, and your password.',
  'password-expired': 'Your password has expired. Change your password, then sign in again.',
  'must-change-password': 'You must change your password before you can sign in.',
  'account-disabled': 'Your account is disabled. Contact your help desk.',
  'account-expired': 'Your account has expired. Contact your help desk.',
  'locked-out': 'Your account is locked. Try again later, or contact your help desk.',
  'logon-hours': 'You cannot sign in at this time of day.',
  workstation: 'You cannot sign in from this device.',
  'directory-unavailable': 'Sign-in is not available right now. Try again in a few minutes.',
  'method-unavailable': 'The application asked for a sign-in method this service does not offer.',
  'session-user-gone': 'Your account could not be found. Sign in again.',
  'session-account-unusable': 'Sign in again.',
};
