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
  ) {}

  private key(accountKey: string): string {
    return `extranet-lockout:${accountKey}`;
  }

  async isLocked(accountKey: string): Promise<boolean> {
    return this.opts.threshold > 0 && (await this.counters.get(this.key(accountKey))) >= this.opts.threshold;
  }

  async failed(accountKey: string): Promise<void> {
    if (this.opts.threshold > 0) await this.counters.increment(this.key(accountKey), this.opts.observationWindowMs);
  }

  async succeeded(accountKey: string): Promise<void> {
    if (this.opts.threshold > 0) await this.counters.reset(this.key(accountKey));
  }
}
