import type { CounterStore } from '../../store/types.js';
import { addressBucket, addressRanges } from './network.js';

/**
 * Per client address, what the account lockouts cannot see: a password spray tries a few passwords
 * on many accounts, so no one account reaches its threshold, but one address (or IPv6 /64) causes
 * every failure. Failed passwords are counted per address in the store (every node of a farm sees
 * them); past `failedPerAddress` in the window the address is throttled — its credential-bearing
 * requests are refused before anything is parsed (sts/http/rate-limit.ts, which holds a place
 * from `reserve` while each request is in flight), as Keycloak's
 * brute-force detection does per client. Banned addresses (AD FS BannedIpList) are refused always.
 */
export class AddressThrottle {
  private readonly isBanned: (ip: string) => boolean;

  constructor(
    private readonly counters: CounterStore,
    private readonly opts: { failedPerAddress: number; failedWindowMs: number; bannedAddresses: string[] },
  ) {
    this.isBanned = addressRanges(opts.bannedAddresses);
  }

  get windowMs(): number {
    return this.opts.failedWindowMs;
  }

  banned(ip: string): boolean {
    return this.isBanned(ip);
  }

  private key(ip: string): string {
    return `failed-from:${addressBucket(ip)}`;
  }

  /** A password attempt from `ip` failed (wrong password, unknown name, or refused by the extranet lockout). */
  async failed(ip: string): Promise<void> {
    if (this.opts.failedPerAddress > 0) await this.counters.increment(this.key(ip), this.opts.failedWindowMs);
  }

  /**
   * Takes a place for one credential-bearing request from `ip` in the same count as the failures,
   * in one store update, before anything is checked: a burst from one address cannot all pass a
   * check made before any of them failed, so failures plus requests in flight never exceed
   * `failedPerAddress` (the way ExtranetLockout.begin books an account's attempts). Returns the
   * place to give back when the request ends — its failure, if any, was counted by `failed` by
   * then — or undefined when the address has no place left (throttled).
   */
  async reserve(ip: string): Promise<{ release: () => Promise<void> } | undefined> {
    if (this.opts.failedPerAddress <= 0) return { release: async () => {} };
    const key = this.key(ip);
    const giveBack = () => this.counters.increment(key, this.opts.failedWindowMs, -1).then(() => undefined);
    if ((await this.counters.increment(key, this.opts.failedWindowMs)) > this.opts.failedPerAddress) {
      await giveBack();
      return undefined;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await giveBack();
      },
    };
  }
}
