import type { CounterStore } from '../../store/types.js';
import { addressBucket, addressRanges } from './network.js';

/**
 * Per client address, what the account lockouts cannot see: a password spray tries a few passwords
 * on many accounts, so no one account reaches its threshold, but one address (or IPv6 /64) causes
 * every failure. Failed passwords are counted per address in the store (every node of a farm sees
 * them); past `failedPerAddress` in the window the address is throttled — its credential-bearing
 * requests are refused before anything is parsed (sts/http/rate-limit.ts), as Keycloak's
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

  /** The address has failed `failedPerAddress` times in the window: it may not try again until the window ends. */
  async throttled(ip: string): Promise<boolean> {
    return this.opts.failedPerAddress > 0 && (await this.counters.get(this.key(ip))) >= this.opts.failedPerAddress;
  }
}
