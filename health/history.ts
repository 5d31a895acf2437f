import type { AuditEvent, CounterStore } from '../store/types.js';

/** Width of one bucket of the 24-hour charts and of the failure-spike alert's window. */
export const BUCKET_MS = 5 * 60_000;
/** Buckets are kept a little over a day, then housekeeping purges them with the other expired counters. */
const KEEP_MS = 25 * 3_600_000;

export type HistorySeries = 'tokens' | 'failures';

export interface Bucket {
  start: Date;
  value: number;
}

const bucketOf = (at: Date) => Math.floor(at.getTime() / BUCKET_MS) * BUCKET_MS;
const keyOf = (series: HistorySeries, start: number) => `history:${series}:${start}`;

/**
 * Tokens issued and sign-ins failed per five minutes, the data of the health page's charts and of
 * the failure-spike alert. The buckets are windowed counters in the store, so every node of a farm
 * adds into the same ones and a restart keeps them; this node's counts are added in memory and
 * written every few seconds (`flush`), never on the sign-in's own path.
 */
export class SignInHistory {
  private pending = new Map<string, number>();

  constructor(private readonly counters: CounterStore) {}

  /** For Audit.observe: a successful sign-in is a token issued, a failed one a failure. */
  readonly countAudit = (event: AuditEvent): void => {
    if (event.type !== 'signin') return;
    const key = keyOf(event.outcome === 'success' ? 'tokens' : 'failures', bucketOf(event.at));
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
  };

  /** Adds this node's counts to the store's buckets; what could not be written is kept for the next flush. */
  async flush(now = new Date()): Promise<void> {
    const batch = [...this.pending];
    this.pending = new Map();
    for (let i = 0; i < batch.length; i++) {
      const [key, n] = batch[i]!;
      try {
        await this.counters.increment(key, KEEP_MS, n, now);
      } catch (err) {
        for (const [k, m] of batch.slice(i)) this.pending.set(k, (this.pending.get(k) ?? 0) + m);
        throw err;
      }
    }
  }

  /** The buckets of the last `hours` up to now, oldest first, counts not yet flushed included. */
  async series(series: HistorySeries, hours: number, now = new Date()): Promise<Bucket[]> {
    const last = bucketOf(now);
    const count = Math.round((hours * 3_600_000) / BUCKET_MS);
    const starts = Array.from({ length: count }, (_, i) => last - (count - 1 - i) * BUCKET_MS);
    const values = await Promise.all(starts.map((start) => this.counters.get(keyOf(series, start), now)));
    return starts.map((start, i) => ({ start: new Date(start), value: values[i]! + (this.pending.get(keyOf(series, start)) ?? 0) }));
  }
}
