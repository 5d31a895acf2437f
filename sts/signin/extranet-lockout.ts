import { createHmac } from 'node:crypto';
import type { CounterStore } from '../../store/types.js';

/**
 * AD FS extranet lockout: after `threshold` failed passwords for one user from outside the
 * corporate network within the observation window, further extranet attempts are refused without
 * asking AD, so an internet password spray can neither guess on nor lock the AD account (keep the
 * threshold below AD's own lockout threshold). Inside the corporate network AD alone decides.
 * Counted per account (`LocatedAccount.key`: the objectGUID), so every spelling of one user's name
 * — UPN, DOMAIN\sam, sam — spends the same budget.
 */
export class ExtranetLockout {
  constructor(
    private readonly counters: CounterStore,
    private readonly opts: { threshold: number; observationWindowMs: number },
    /** Keys the counter names: an unresolved typed name (a pasted password) must not sit in the store in clear. */
    private readonly nameKey: Buffer,
  ) {}

  private key(accountKey: string): string {
    return `extranet-lockout:${createHmac('sha256', this.nameKey).update(accountKey).digest('base64url').slice(0, 27)}`;
  }

  /**
   * Takes one attempt from the account's budget before the password is checked, in one store
   * update: concurrent guesses each take their own, so a burst cannot all pass a check made before
   * any of them counted. False when the budget is spent (refuse without asking AD).
   */
  async reserve(accountKey: string): Promise<boolean> {
    if (this.opts.threshold === 0) return true;
    return (await this.counters.increment(this.key(accountKey), this.opts.observationWindowMs)) <= this.opts.threshold;
  }

  /** An attempt that told nothing about the password (the directory did not answer) returns its place. */
  async giveBack(accountKey: string): Promise<void> {
    if (this.opts.threshold > 0) await this.counters.increment(this.key(accountKey), this.opts.observationWindowMs, -1);
  }

  /** The attempt proved the password (a success, or an AD answer given only for the right one): the budget is whole again. */
  async succeeded(accountKey: string): Promise<void> {
    if (this.opts.threshold > 0) await this.counters.reset(this.key(accountKey));
  }
}
