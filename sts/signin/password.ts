import { typedUsername, validPassword } from '../../directory/credentials.js';
import type { AuthResult, ChangePasswordResult, Directory, LocatedAccount } from '../../directory/types.js';
import type { AddressThrottle } from './address-throttle.js';
import type { Attempt, ExtranetLockout } from './extranet-lockout.js';

export type PasswordFailure = Exclude<AuthResult, { ok: true }>['reason'];

/**
 * A result, with the account it was counted against (for the audit trail) when the name was
 * located, and how the extranet lockout booked the attempt (`lockout`; `extranetLockout`: refused by it).
 */
export type Counted<R> = R & { account?: LocatedAccount; extranetLockout?: boolean; lockout?: Attempt };

type Deps = { directory: Directory; lockout: ExtranetLockout; throttle: AddressThrottle };

/** Where a password attempt comes from: the client address, and whether it is outside the corporate network. */
export interface Origin {
  clientIp: string;
  extranet: boolean;
}

/** AD answers these only for the right password (the bind sub-codes of MS-ADTS 3.1.1.3.1.5.1), and a policy refusal of a change only after the old one. */
const PROVES_PASSWORD = new Set<string>(['password-expired', 'must-change-password', 'account-disabled', 'account-expired', 'logon-hours', 'workstation', 'policy']);
/** A guess that was wrong: it keeps its place in the extranet budget. */
const SPENDS_ATTEMPT = new Set<string>(['bad-password', 'no-such-user']);
type Refused = { ok: false; reason: 'invalid-input' | 'directory-unavailable' | 'bad-password' };

/**
 * Anything that proves a password (sign-in, WS-Trust, password change): the typed name is located
 * first, so the extranet lockout counts the account — one count whatever spelling was typed
 * (UPN, DOMAIN\sam, sam) — at its location, and refuses it before any bind, answered like a wrong
 * password, as AD FS does, so the lockout tells a sprayer nothing. Then the attempt, and its
 * bookkeeping: a failure counts against the account's location and against the client address.
 */
async function guarded<R extends AuthResult | ChangePasswordResult>(
  deps: Deps,
  name: string,
  from: Origin,
  attempt: (account: LocatedAccount) => Promise<R>,
): Promise<Counted<R | Refused>> {
  const located = await deps.directory.locate(name);
  if (!located.ok) return located;
  const { account } = located;
  const booked = from.extranet && deps.lockout.enabled ? await deps.lockout.begin(account.key, from.clientIp) : undefined;
  if (booked?.refused) {
    await deps.lockout.failed(account.key, booked);
    await deps.throttle.failed(from.clientIp);
    return { ok: false, reason: 'bad-password', account, extranetLockout: true, lockout: booked };
  }
  const result = await attempt(account);
  const outcome = result.ok ? 'proven' : PROVES_PASSWORD.has(result.reason) ? 'proven' : SPENDS_ATTEMPT.has(result.reason) ? 'spent' : 'unknown';
  if (outcome === 'spent') await deps.throttle.failed(from.clientIp);
  if (booked) {
    if (outcome === 'proven') await deps.lockout.proven(account.key, from.clientIp, booked);
    else if (outcome === 'spent') await deps.lockout.failed(account.key, booked);
    // A DC outage or AD's own lockout says nothing about the password: the attempt is given back.
    else await deps.lockout.giveBack(account.key, booked);
  }
  return { ...result, account, ...(booked ? { lockout: booked } : {}) };
}

/**
 * What the audit records of a password attempt besides its result, reason and address: the method,
 * and from the extranet the lockout's view — the location, and in logOnly mode what enforce would have done.
 */
export function attemptDetails(check: Counted<unknown>): Record<string, string> {
  if (!check.lockout) return { method: 'password' };
  const wouldRefuse = check.lockout.smartRefusal && !check.lockout.refused;
  return { method: 'password', location: check.lockout.location, ...(wouldRefuse ? { smartLockout: 'would-refuse' } : {}) };
}

/** The forms / WS-Trust username method. */
export async function checkPassword(deps: Deps, username: unknown, password: unknown, from: Origin): Promise<Counted<AuthResult>> {
  const name = typedUsername(username);
  if (name === undefined || !validPassword(password)) return { ok: false, reason: 'invalid-input' };
  return guarded(deps, name, from, (account) => deps.directory.authenticate(account, password));
}

/** The user's own change (AD FS /adfs/portal/updatepassword/): it proves the old password too. */
export async function changePassword(deps: Deps, username: unknown, oldPassword: unknown, newPassword: unknown, from: Origin): Promise<Counted<ChangePasswordResult>> {
  const name = typedUsername(username);
  if (name === undefined || !validPassword(oldPassword) || !validPassword(newPassword)) return { ok: false, reason: 'invalid-input' };
  return guarded(deps, name, from, (account) => deps.directory.changePassword(account, oldPassword, newPassword));
}
