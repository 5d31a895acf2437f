import type { Logger } from 'pino';
import { leasedCycle } from '../store/leased-cycle.js';
import type { Store } from '../store/types.js';
import type { TrustRegistry } from '../sts/trusts/trust.js';
import { refreshDueTrusts, type PartnerSettings } from './metadata-trust.js';

/** One node at a time fetches partners' metadata (a farm fetches each document once per interval). */
export const TRUST_REFRESH_LEASE = 'trust-metadata-refresh';

/**
 * Every `partnerMetadata.reloadSeconds`: the lease holder refreshes the metadata trusts that are
 * due, then every node re-reads the stored trusts into `registry`, so a trust added, changed or
 * removed on any node (or by the CLI) is used everywhere within that time, without a restart.
 */
export function keepTrusts(deps: { store: Store; registry: TrustRegistry; settings: PartnerSettings; log: Logger; now: () => Date }): { cycle: () => Promise<void>; stop: () => Promise<void> } {
  let lastSkipped = '';
  return leasedCycle({
    store: deps.store,
    lease: TRUST_REFRESH_LEASE,
    intervalMs: deps.settings.reloadSeconds * 1000,
    now: deps.now,
    log: deps.log,
    what: 'trusts: metadata refresh or reload',
    leader: async () => {
      await refreshDueTrusts(deps.store, deps.settings, deps.log, deps.now());
    },
    everyNode: async () => {
      const skipped = deps.registry.useStored(await deps.store.trusts.list(), deps.now());
      // Said once per change, not every few seconds.
      const said = JSON.stringify(skipped);
      if (said !== lastSkipped && skipped.length > 0) deps.log.warn({ skipped }, 'trusts: stored trusts not used');
      lastSkipped = said;
    },
  });
}
