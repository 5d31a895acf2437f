import type { KeyRecord, Store } from '../store/types.js';
import type { Signer } from './signer.js';
import { ROLLOVER_LEASE } from './lifecycle.js';
import { signerFor } from './signing-keys.js';

/**
 * The signer every token and metadata document of this process uses, following the store: after
 * a promotion on any node, `refresh` (run every `keys.refreshSeconds`) swaps in the new active
 * key, so no restart is needed. The private key is unsealed once per key, not per signature.
 */
export class KeyRing {
  private current: Signer;

  constructor(
    private readonly store: Store,
    private readonly kek: Buffer,
    active: KeyRecord,
  ) {
    this.current = signerFor(active, kek);
  }

  signer(): Signer {
    return this.current;
  }

  /** Re-reads the active signing key; true when it changed. */
  async refresh(): Promise<boolean> {
    const active = (await this.store.keys.list('signing')).find((k) => k.status === 'active');
    if (!active || active.id === this.current.thumbprint) return false;
    this.current = signerFor(active, this.kek);
    return true;
  }
}

/** The part of a logger the key keeper writes to. */
interface KeeperLog {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}


/**
 * Every `intervalMs`: the node holding the rollover lease (one per store, so one per farm) runs
 * the rollover, then every node re-reads its signer; the timer skips a beat while a cycle runs.
 * Errors are logged and the next cycle tries again; `stop` ends it and frees the lease.
 */
export function keepKeys(deps: { store: Store; ring: KeyRing; rollover: { tick(): Promise<void> }; intervalMs: number; log: KeeperLog; now: () => Date }): { cycle: () => Promise<void>; stop: () => Promise<void> } {
  const holder = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const once = async (): Promise<void> => {
    const now = deps.now();
    try {
      if (await deps.store.sync.acquireLease(ROLLOVER_LEASE, holder, new Date(now.getTime() + 3 * deps.intervalMs), now)) await deps.rollover.tick();
      if (await deps.ring.refresh()) deps.log.info({ thumbprint: deps.ring.signer().thumbprint }, 'keys: now signing with the new active certificate');
    } catch (err) {
      deps.log.error({ err }, 'keys: rollover or refresh failed; retrying next cycle');
    }
  };
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  // Asked for while one runs (a promotion by the CLI, a test that moved the clock): one more run after it.
  const cycle = (): Promise<void> => {
    if (!running) {
      running = once().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = undefined;
      return cycle();
    });
    return queued;
  };
  const timer = setInterval(() => {
    if (!running) void cycle();
  }, deps.intervalMs);
  timer.unref();
  return {
    cycle,
    async stop() {
      clearInterval(timer);
      await (queued ?? running);
      await deps.store.sync.releaseLease(ROLLOVER_LEASE, holder).catch(() => undefined);
    },
  };
}
