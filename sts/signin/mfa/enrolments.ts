import type { Store, TotpEnrolment } from '../../../store/types.js';

/*
 * What an administrator does with a user's second factor (`gatehouse mfa show|reset USER`, as
 * AD FS admins reset a user's Azure MFA methods): look it up by UPN or objectGUID, and remove it
 * so the user sets up a new authenticator at the next sign-in that needs MFA (a lost phone).
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PERIOD_MS = 30_000;

export interface EnrolmentView {
  user: string;
  objectGuid: string;
  method: 'totp';
  enrolledAt: string;
  /** When the last accepted code was current (never the code). */
  lastUsedAt: string;
}

export async function findEnrolment(store: Store, user: string): Promise<TotpEnrolment | undefined> {
  return GUID.test(user) ? store.mfa.getTotp(user.toLowerCase()) : store.mfa.findTotpByUpn(user);
}

export function describeEnrolment(e: TotpEnrolment): EnrolmentView {
  return { user: e.upn, objectGuid: e.userKey, method: 'totp', enrolledAt: e.createdAt.toISOString(), lastUsedAt: new Date(e.lastStep * PERIOD_MS).toISOString() };
}

/** Removes the user's authenticator, audited; undefined when there was none. */
export async function resetEnrolment(store: Store, user: string, now = new Date()): Promise<TotpEnrolment | undefined> {
  const found = await findEnrolment(store, user);
  if (!found || !(await store.mfa.deleteTotp(found.userKey))) return undefined;
  await store.audit.append({ at: now, type: 'mfa.reset', outcome: 'success', user: found.upn, reason: 'admin-reset', details: { method: 'totp', by: 'cli' } });
  return found;
}
