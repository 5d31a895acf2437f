import type { Store } from './types.js';

/** How often a node purges what has expired: sessions, and counters and replay markers (whose keys clients choose). */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

/**
 * Deletes expired sessions, counters and replay markers, account activity and OpenID Connect codes
 * and tokens, and audit events older than `auditRetentionDays` (config `audit.retentionDays`) when
 * given; any node may run it, the deletes are idempotent.
 */
export async function housekeep(store: Store, now = new Date(), auditRetentionDays?: number): Promise<{ sessions: number; counters: number; activity: number; oidc: number; audit: number }> {
  const sessions = await store.sessions.deleteExpired(now);
  const counters = await store.counters.deleteExpired(now);
  const activity = await store.activity.deleteExpired(now);
  const oidc = await store.oidc.deleteExpired(now);
  const audit = auditRetentionDays === undefined ? 0 : await store.audit.deleteBefore(new Date(now.getTime() - auditRetentionDays * 86_400_000));
  return { sessions, counters, activity, oidc, audit };
}
