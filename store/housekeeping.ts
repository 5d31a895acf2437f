import type { Store } from './types.js';

/** How often a node purges what has expired: sessions, and counters and replay markers (whose keys clients choose). */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

/** Deletes expired sessions, counters, account activity and OpenID Connect codes and tokens; any node may run it, the deletes are idempotent. */
export async function housekeep(store: Store, now = new Date()): Promise<{ sessions: number; counters: number; activity: number; oidc: number }> {
  return { sessions: await store.sessions.deleteExpired(now), counters: await store.counters.deleteExpired(now), activity: await store.activity.deleteExpired(now), oidc: await store.oidc.deleteExpired(now) };
}
