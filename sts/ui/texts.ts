import { ConfigError } from '../../config/load.js';
import type { CertificateRefusal } from '../../keys/certificate-validation.js';
import type { ChangePasswordFailure, SignInFailure } from '../signin/pipeline.js';

/*
 * Every word the pages show, in one table an operator can translate or reword with
 * `branding.texts` (config). Outcome messages: no-such-user and bad-password share AD FS's wording
 * so the page does not reveal whether an account exists. AD reports the expiry, disabled and logon
 * restriction sub-codes only for a correct password, so naming them tells an attacker nothing
 * new; lockout (775) AD FS names too.
 */
const wrong = 'Incorrect user ID or password. Type the correct user ID and password, and try again.';

const failures: Record<`failure.${SignInFailure}`, string> = {
  'failure.no-such-user': wrong,
  'failure.bad-password': wrong,
  'failure.invalid-input': 'Enter your user ID in the format domain\\user or user@domain, and your password.',
  'failure.password-expired': 'Your password has expired. Change your password, then sign in again.',
  'failure.must-change-password': 'You must change your password before you can sign in.',
  'failure.account-disabled': 'Your account is disabled. Contact your help desk.',
  'failure.account-expired': 'Your account has expired. Contact your help desk.',
  'failure.locked-out': 'Your account is locked. Try again later, or contact your help desk.',
  'failure.logon-hours': 'You cannot sign in at this time of day.',
  'failure.workstation': 'You cannot sign in from this device.',
  'failure.directory-unavailable': 'Sign-in is not available right now. Try again in a few minutes.',
  'failure.method-unavailable': 'The application asked for a sign-in method this service does not offer.',
  'failure.session-user-gone': 'Your account could not be found. Sign in again.',
  'failure.session-account-unusable': 'Sign in again.',
  'failure.mfa-expired': 'Your verification page expired or was already used. Sign in again.',
  'failure.mfa-denied': 'The sign-in was not approved. Sign in again to retry.',
  'failure.mfa-unavailable': 'Additional verification is not available right now, so you cannot be signed in. Try again later, or contact your help desk.',
  'failure.mfa-too-many': 'Too many wrong verification codes. Wait a few minutes, then sign in again.',
  'failure.mfa-required': 'This application needs additional verification, which this sign-in method cannot provide.',
  'failure.certificate-not-mapped': 'Your certificate is valid but is not linked to an account here. Contact your help desk, or sign in with your password.',
};

// AD FS's update-password page words; an unknown user reads like a wrong password, as on the login page.
/** The certificate listener's refusals (keys/certificate-validation.ts), each on its own page. */
const certificateRefusals: Record<`certificate.${CertificateRefusal}`, string> = {
  'certificate.no-certificate': 'No certificate was presented. Insert your smart card or choose a certificate when your browser asks, then try again.',
  'certificate.certificate-untrusted': 'Your certificate was not issued by a certification authority this service trusts.',
  'certificate.certificate-expired': 'Your certificate has expired. Ask your help desk for a new one.',
  'certificate.certificate-not-yet-valid': 'Your certificate is not valid yet. Check the date and time of your device, or try again later.',
  'certificate.certificate-purpose': 'Your certificate cannot be used to sign in (it is not a client authentication or smart card logon certificate).',
  'certificate.certificate-invalid': 'Your certificate could not be verified.',
  'certificate.certificate-revoked': 'Your certificate has been revoked. Ask your help desk for a new one.',
  'certificate.revocation-unavailable': 'Whether your certificate has been revoked cannot be checked right now. Try again in a few minutes, or sign in with your password.',
};

const changeFailures: Record<`password.failure.${ChangePasswordFailure}`, string> = {
  'password.failure.bad-password': wrong,
  'password.failure.no-such-user': wrong,
  'password.failure.policy': "The new password does not meet the domain's requirements for length, complexity or history, or the password was changed too recently. Choose a different password.",
  'password.failure.invalid-input': 'Enter your user ID, your old password and a new password.',
  'password.failure.directory-unavailable': failures['failure.directory-unavailable'],
};

export const defaultTexts = {
  'login.userName': 'User name',
  'login.password': 'Password',
  'login.keepSignedIn': 'Keep me signed in',
  'login.submit': 'Sign in',
  'login.to': 'to',
  'login.formExpired': 'Your sign-in page expired or was already used. Sign in again.',
  'post.title': 'Working…',
  'post.heading': 'Signing you in…',
  'post.noScript': 'Your browser is not running scripts. Select Continue to go on.',
  'post.continue': 'Continue',
  'signout.title': 'Signed out',
  'signout.message': 'You have signed out.',
  'signout.continue': 'Continue',
  'signout.frame': 'Signing out of',
  'signout.partial': 'You have signed out here, but some applications could not be told. Close your browser to finish signing out.',
  'idp.title': 'Sign in to an application',
  'idp.message': 'Choose the application to sign in to.',
  'idp.none': 'No application can be signed in to from here.',
  'idp.signOut': 'Sign out of all applications',
  'page.reference': 'Reference',
  'login.changePassword': 'Change your password',
  'password.title': 'Change password',
  'password.old': 'Old password',
  'password.new': 'New password',
  'password.confirm': 'Confirm new password',
  'password.submit': 'Change password',
  'password.changed': 'Your password has been changed.',
  'password.continue': 'Continue signing in',
  'password.mismatch': 'The new password and its confirmation do not match.',
  'mfa.title': 'Additional verification',
  'mfa.code': 'Verification code',
  'mfa.submit': 'Verify',
  'mfa.continue': 'Continue',
  'mfa.totp': 'Enter the 6-digit code shown in your authenticator app.',
  'mfa.external': 'Approve the sign-in request sent to your device, then select Continue.',
  'mfa.wrongCode': 'That code is not right, or it was already used. Wait for the next code and try again.',
  'mfa.pending': 'The sign-in has not been approved yet. Approve it on your device, then select Continue.',
  'mfa.enrol.title': 'Set up your authenticator app',
  'mfa.enrol.scan': 'This sign-in needs a second step. Scan the QR code with an authenticator app (Microsoft Authenticator, Google Authenticator, or another TOTP app), then enter the code it shows.',
  'mfa.enrol.qrAlt': 'QR code for your authenticator app',
  'mfa.enrol.manual': 'Cannot scan? Add an account by hand with this key:',
  'mfa.enrol.account': 'Account:',
  'mfa.enrol.submit': 'Verify and finish setup',
  'rateLimit.title': 'Too many attempts',
  'rateLimit.message': 'There were too many sign-in attempts from your network. Wait a minute, then try again.',
  'throttled.message': 'There were too many failed sign-ins from your network. Try again later.',
  'banned.title': 'Sign-in refused',
  'banned.message': 'Sign-in from your network is not allowed. Contact your administrator if you think this is wrong.',
  'device.title': 'Sign in on another device',
  'device.enter': 'Enter the code your device shows.',
  'device.code': 'Code',
  'device.wrongCode': 'That code is not valid or has expired. Check the code your device shows and try again.',
  'device.confirm': 'Sign in on the device that shows this code?',
  'device.continue': 'Continue',
  'device.abort': 'Cancel',
  'device.done': 'You are signed in on your device. You can close this page.',
  'device.aborted': 'The sign-in on your device was cancelled.',
  'oidc.errorTitle': 'Sign-in failed',
  'oidc.error': 'The application’s sign-in request could not be completed. Return to the application and try again.',
  'login.certificate': 'Sign in with a certificate',
  'certificate.title': 'Certificate sign-in',
  'certificate.expired': 'This sign-in link expired or was already used. Go back to the application and sign in again.',
  'certificate.backToSignIn': 'Back to sign-in',
  ...failures,
  ...changeFailures,
  ...certificateRefusals,
};

export type TextKey = keyof typeof defaultTexts;
export type Texts = Readonly<Record<TextKey, string>>;

/** The defaults with the operator's `branding.texts` over them; an unknown key is a config error. */
export function resolveTexts(overrides: Record<string, string>, configFile: string): Texts {
  for (const key of Object.keys(overrides)) {
    if (!(key in defaultTexts)) throw new ConfigError(configFile, `branding.texts.${key}`, `unknown text; known: ${Object.keys(defaultTexts).join(', ')}`);
  }
  return { ...defaultTexts, ...overrides };
}

export const failureText = (texts: Texts, reason: SignInFailure): string => texts[`failure.${reason}`];

export const certificateRefusalText = (texts: Texts, reason: CertificateRefusal): string => texts[`certificate.${reason}`];
