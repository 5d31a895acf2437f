import type { CounterStore } from '../../store/types.js';

/**
 * AD FS extranet lockout: after `threshold` failed passwords for one user from outside the
 * corporate network within the observation window, further extranet attempts are refused without
 * asking AD, so an internet password spray can neither guess on nor lock the AD account (keep the
 * threshold below AD's own lockout threshold). Inside the corporate network AD alone decides.
 * Counted by the user name as typed, lower-cased: the forms of one name (UPN, DOMAIN\sam, sam)
 * each get their own budget, which AD's lockout still bounds.
 */
export class ExtranetLockout {
  constructor(
    private readonly counters: CounterStore,
    private readonly opts: { threshold: number; observationWindowMs: number },
  ) {}

  private key(username: string): string {
    return `extranet-lockout:${username.trim().toLowerCase()}`;
  }

  async isLocked(username: string): Promise<boolean> {
    return this.opts.threshold > 0 && (await this.counters.get(this.key(username))) >= this.opts.threshold;
  }

  async failed(username: string): Promise<void> {
    if (this.opts.threshold > 0) await this.counters.increment(this.key(username), this.opts.observationWindowMs);
  }

  async succeeded(username: string): Promise<void> {
    if (this.opts.threshold > 0) await this.counters.reset(this.key(username));
  }
}
