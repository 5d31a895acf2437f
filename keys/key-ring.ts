import { leasedCycle, type CycleLog } from '../store/leased-cycle.js';
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

/**
 * Every `intervalMs`: the node holding the rollover lease runs the rollover, then every node
 * re-reads its signer (store/leased-cycle.ts); `stop` ends it and frees the lease.
 */
export function keepKeys(deps: { store: Store; ring: KeyRing; rollover: { tick(): Promise<void> }; intervalMs: number; log: CycleLog; now: () => Date }): { cycle: () => Promise<void>; stop: () => Promise<void> } {
  return leasedCycle({
    store: deps.store,
    lease: ROLLOVER_LEASE,
    intervalMs: deps.intervalMs,
    now: deps.now,
    log: deps.log,
    what: 'keys: rollover or refresh',
    leader: () => deps.rollover.tick(),
    everyNode: async () => {
      if (await deps.ring.refresh()) deps.log.info({ thumbprint: deps.ring.signer().thumbprint }, 'keys: now signing with the new active certificate');
    },
  });
}
