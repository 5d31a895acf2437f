import { createHmac } from 'node:crypto';
import type { Config } from '../../config/load.js';
import { deriveKey } from '../../keys/sealing.js';
import type { AccountActivityStore, CounterStore, Store } from '../../store/types.js';
import { setTimeout } from 'node:timers/promises';
import { addressBucket } from './network.js';

/** How long an attempt waits, at most, for the account's attempts in flight to settle (SETTLE_TRIES × SETTLE_POLL_MS): a bind takes milliseconds. */
const SETTLE_POLL_MS = 25;
const SETTLE_TRIES = 200;

/** Where an extranet attempt comes from, for this account: an address it signed in from before, or not. */
export type Location = 'familiar' | 'unfamiliar';

export interface LockoutOptions {
  /** enforce: AdfsSmartLockoutEnforce; logOnly: AdfsSmartLockoutLogOnly (one counter enforced, the smart decision audited). */
  mode: 'enforce' | 'logOnly';
  /** Failures from unfamiliar locations (logOnly: from anywhere) before refusing; 0: no extranet lockout at all. */
  threshold: number;
  familiarThreshold: number;
  observationWindowMs: number;
  /** Familiar addresses kept per account (AD FS: 20, oldest out first). */
  familiarAddresses: number;
  familiarLifetimeMs: number;
}

/** One extranet password attempt as the lockout booked it, before the password is checked. */
export interface Attempt {
  location: Location;
  /** Refused without asking AD. */
  refused: boolean;
  /** What enforce mode decides (in logOnly mode audited, not acted on). */
  smartRefusal: boolean;
}

/** Get-AdfsAccountActivity's view of one account. */
export interface AccountActivity {
  familiar: { failures: number; lastFailure?: Date };
  unfamiliar: { failures: number; lastFailure?: Date };
  /** logOnly mode: the one counter that is enforced. */
  anyLocation?: number;
  addresses: { address: string; lastSeen: Date }[];
}

export type ResetLocation = Location | 'all';

/**
 * AD FS Extranet Smart Lockout. Failed extranet passwords are counted per account and per
 * location: from an address where the account signed in before (familiar) and from anywhere else
 * (unfamiliar). At `threshold` unfamiliar failures within the observation window, attempts from
 * unfamiliar addresses are refused without asking AD — so an internet spray can neither guess on
 * nor lock the AD account — while the real user at a familiar address keeps its own budget
 * (`familiarThreshold`). An address becomes familiar only by a proven password. Inside the
 * corporate network AD alone decides (the caller does not come here).
 * Counted per account (`LocatedAccount.key`: the objectGUID), so every spelling of one user's name
 * — UPN, DOMAIN\sam, sam — spends the same budget; counters live in the store's CounterStore and
 * familiar addresses in its AccountActivityStore, shared by every node of a farm.
 */
export class ExtranetLockout {
  constructor(
    private readonly counters: CounterStore,
    private readonly activity: AccountActivityStore,
    private readonly opts: LockoutOptions,
    /** Keys the account pseudonyms: an unresolved typed name (a pasted password) must not sit in the store in clear. */
    private readonly nameKey: Buffer,
  ) {}

  get enabled(): boolean {
    return this.opts.threshold > 0;
  }

  private account(accountKey: string): string {
    return createHmac('sha256', this.nameKey).update(accountKey).digest('base64url').slice(0, 27);
  }

  private counter(account: string, scope: Location | 'any'): string {
    return scope === 'any' ? `extranet-lockout:${account}` : `extranet-lockout:${account}:${scope}`;
  }

  /** The counters an attempt takes a place in: its location's, and in logOnly mode the enforced one of any location. */
  private scopes(location: Location): (Location | 'any')[] {
    return this.opts.mode === 'logOnly' ? [location, 'any'] : [location];
  }

  private limit(scope: Location | 'any'): number {
    return scope === 'familiar' ? this.opts.familiarThreshold : this.opts.threshold;
  }

  /** Familiar when the account signed in from this address (or IPv6 /64) and it has not aged out. */
  async location(accountKey: string, clientIp: string, now = new Date()): Promise<Location> {
    const address = addressBucket(clientIp);
    const entries = await this.activity.list(this.account(accountKey), now);
    return entries.some((e) => e.kind === 'familiar' && e.address === address) ? 'familiar' : 'unfamiliar';
  }

  /** Wrong passwords only, by scope: what AD FS counts. The booked counter also holds the attempts in flight. */
  private failures(account: string, scope: Location | 'any'): string {
    return `${this.counter(account, scope)}:failed`;
  }

  /**
   * Takes one attempt from the account's budget at its location before the password is checked, in
   * one store update per counter: concurrent guesses each take their own, so a burst cannot all
   * pass a check made before any of them counted. A budget full only of attempts still in flight
   * is not a refusal: AD FS refuses on bad passwords, not on attempts, so the real user's parallel
   * sign-ins (a phone and a laptop, a client's many connections) must not lock each other out.
   * Such an attempt waits for those in flight to settle — a success empties the budget, a wrong
   * password fills it — so no more wrong passwords than the threshold ever reach AD.
   */
  async begin(accountKey: string, clientIp: string): Promise<Attempt> {
    const location = await this.location(accountKey, clientIp);
    const account = this.account(accountKey);
    const over: Partial<Record<Location | 'any', boolean>> = {};
    for (const scope of this.scopes(location)) over[scope] = await this.book(account, scope);
    const smartRefusal = over[location] ?? false;
    return { location, smartRefusal, refused: this.opts.mode === 'logOnly' ? (over.any ?? false) : smartRefusal };
  }

  /** True when the scope's wrong passwords have reached its limit; else the attempt holds a place in it. */
  private async book(account: string, scope: Location | 'any'): Promise<boolean> {
    const booked = this.counter(account, scope);
    const windowMs = this.opts.observationWindowMs;
    for (let wait = 0; ; wait++) {
      if ((await this.counters.increment(booked, windowMs)) <= this.limit(scope)) return false;
      // Refused attempts keep their place (the budget stays spent); a wait for those in flight gives it back.
      if ((await this.counters.get(this.failures(account, scope))) >= this.limit(scope) || wait === SETTLE_TRIES) return true;
      await this.counters.increment(booked, windowMs, -1);
      await setTimeout(SETTLE_POLL_MS);
    }
  }
  /** An attempt that told nothing about the password (the directory did not answer, AD had locked the account) returns its place. */
  async giveBack(accountKey: string, attempt: Attempt): Promise<void> {
    const account = this.account(accountKey);
    for (const scope of this.scopes(attempt.location)) await this.counters.increment(this.counter(account, scope), this.opts.observationWindowMs, -1);
  }

  /** A wrong password (or a refused attempt): remembered as the location's last failure. */
  async failed(accountKey: string, attempt: Attempt, now = new Date()): Promise<void> {
    const account = this.account(accountKey);
    const expiresAt = new Date(now.getTime() + this.opts.observationWindowMs);
    if (!attempt.refused) for (const scope of this.scopes(attempt.location)) await this.counters.increment(this.failures(account, scope), this.opts.observationWindowMs);
    await this.activity.put(account, { kind: `failed-${attempt.location}`, address: '', at: now, expiresAt });
  }

  /**
   * The attempt proved the password (a success, or an AD answer given only for the right one): that
   * location's budget is whole again, and the address is familiar from now on. The other
   * location's count stays: a sprayer elsewhere does not get a fresh budget from the user's success.
   */
  async proven(accountKey: string, clientIp: string, attempt: Attempt, now = new Date()): Promise<void> {
    const account = this.account(accountKey);
    for (const scope of this.scopes(attempt.location)) await this.resetScope(account, scope);
    await this.remember(account, addressBucket(clientIp), now);
  }

  private async resetScope(account: string, scope: Location | 'any'): Promise<void> {
    await this.counters.reset(this.counter(account, scope));
    await this.counters.reset(this.failures(account, scope));
  }

  private async remember(account: string, address: string, now: Date): Promise<void> {
    const expiresAt = new Date(now.getTime() + this.opts.familiarLifetimeMs);
    await this.activity.put(account, { kind: 'familiar', address, at: now, expiresAt }, this.opts.familiarAddresses);
  }

  /** Get-AdfsAccountActivity: failures per location, their last times, the familiar addresses. */
  async show(accountKey: string, now = new Date()): Promise<AccountActivity> {
    const account = this.account(accountKey);
    const entries = await this.activity.list(account, now);
    const last = (kind: 'failed-familiar' | 'failed-unfamiliar') => entries.find((e) => e.kind === kind)?.at;
    const count = async (location: Location) => {
      const lastFailure = last(`failed-${location}`);
      return { failures: await this.counters.get(this.counter(account, location), now), ...(lastFailure ? { lastFailure } : {}) };
    };
    return {
      familiar: await count('familiar'),
      unfamiliar: await count('unfamiliar'),
      ...(this.opts.mode === 'logOnly' ? { anyLocation: await this.counters.get(this.counter(account, 'any'), now) } : {}),
      addresses: entries.filter((e) => e.kind === 'familiar').map((e) => ({ address: e.address, lastSeen: e.at })),
    };
  }

  /** Reset-AdfsAccountActivity -Location: the counts (and last failures) of one location or both. */
  async reset(accountKey: string, location: ResetLocation): Promise<void> {
    const account = this.account(accountKey);
    const locations: Location[] = location === 'all' ? ['familiar', 'unfamiliar'] : [location];
    for (const l of locations) await this.resetScope(account, l);
    // The enforced count of logOnly mode is of any location: a reset of either clears it.
    await this.resetScope(account, 'any');
    await this.activity.remove(account, locations.map((l) => `failed-${l}` as const));
  }

  /** Set-AdfsAccountActivity -AdditionalFamiliarIps: an address the user is known to sign in from. */
  async addFamiliar(accountKey: string, ip: string, now = new Date()): Promise<string> {
    const address = addressBucket(ip);
    await this.remember(this.account(accountKey), address, now);
    return address;
  }

  /** Forgets the account's familiar addresses (a stolen laptop's home network, say). */
  async forgetFamiliar(accountKey: string): Promise<void> {
    await this.activity.remove(this.account(accountKey), ['familiar']);
  }
}

/** The lockout of the `lockout:` config section over the store, keyed from the key-encryption key: the server and the CLI use one. */
export function extranetLockoutFromConfig(config: Config['lockout'], store: Pick<Store, 'counters' | 'activity'>, kek: Buffer): ExtranetLockout {
  const options: LockoutOptions = {
    mode: config.mode,
    threshold: config.extranetThreshold,
    familiarThreshold: config.familiarThreshold ?? config.extranetThreshold,
    observationWindowMs: config.observationWindowMinutes * 60_000,
    familiarAddresses: config.familiarAddresses,
    familiarLifetimeMs: config.familiarAddressDays * 86_400_000,
  };
  return new ExtranetLockout(store.counters, store.activity, options, deriveKey(kek, 'lockout counter names'));
}
