import { typedUsername, validPassword } from '../../directory/credentials.js';
import type { AuthResult, ChangePasswordResult, Directory, LocatedAccount } from '../../directory/types.js';
import type { ExtranetLockout } from './extranet-lockout.js';

export type PasswordFailure = Exclude<AuthResult, { ok: true }>['reason'];

/** A result, with the account it was counted against (for the audit trail) when the name was located. */
export type Counted<R> = R & { account?: LocatedAccount; extranetLockout?: boolean };

type Deps = { directory: Directory; lockout: ExtranetLockout };

/** AD answers these only for the right password (the bind sub-codes of MS-ADTS 3.1.1.3.1.5.1), and a policy refusal of a change only after the old one. */
const PROVES_PASSWORD = new Set<string>(['password-expired', 'must-change-password', 'account-disabled', 'account-expired', 'logon-hours', 'workstation', 'policy']);
/** A guess that was wrong: it keeps its place in the extranet budget. */
const SPENDS_ATTEMPT = new Set<string>(['bad-password', 'no-such-user']);
type Refused = { ok: false; reason: 'invalid-input' | 'directory-unavailable' | 'bad-password' };

/**
 * Anything that proves a password (sign-in, WS-Trust, password change): the typed name is located
 * first, so the extranet lockout counts the account — one count whatever spelling was typed
 * (UPN, DOMAIN\sam, sam) — and refuses it before any bind, answered like a wrong password, as
 * AD FS does, so the lockout tells a sprayer nothing. Then the attempt, and its bookkeeping.
 */
async function guarded<R extends AuthResult | ChangePasswordResult>(
  deps: Deps,
  name: string,
  extranet: boolean,
  attempt: (account: LocatedAccount) => Promise<R>,
): Promise<Counted<R | Refused>> {
  const located = await deps.directory.locate(name);
  if (!located.ok) return located;
  const { account } = located;
  if (extranet && !(await deps.lockout.reserve(account.key))) return { ok: false, reason: 'bad-password', account, extranetLockout: true };
  const result = await attempt(account);
  if (extranet) {
    const outcome = result.ok ? 'proven' : PROVES_PASSWORD.has(result.reason) ? 'proven' : SPENDS_ATTEMPT.has(result.reason) ? 'spent' : 'unknown';
    if (outcome === 'proven') await deps.lockout.succeeded(account.key);
    // A DC outage or AD's own lockout says nothing about the password: the attempt is given back.
    else if (outcome === 'unknown') await deps.lockout.giveBack(account.key);
  }
  return { ...result, account };
}

/** The forms / WS-Trust username method. */
export async function checkPassword(deps: Deps, username: unknown, password: unknown, extranet: boolean): Promise<Counted<AuthResult>> {
  const name = typedUsername(username);
  if (name === undefined || !validPassword(password)) return { ok: false, reason: 'invalid-input' };
  return guarded(deps, name, extranet, (account) => deps.directory.authenticate(account, password));
}

/** The user's own change (AD FS /adfs/portal/updatepassword/): it proves the old password too. */
export async function changePassword(deps: Deps, username: unknown, oldPassword: unknown, newPassword: unknown, extranet: boolean): Promise<Counted<ChangePasswordResult>> {
  const name = typedUsername(username);
  if (name === undefined || !validPassword(oldPassword) || !validPassword(newPassword)) return { ok: false, reason: 'invalid-input' };
  return guarded(deps, name, extranet, (account) => deps.directory.changePassword(account, oldPassword, newPassword));
}
