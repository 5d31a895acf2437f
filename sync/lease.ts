import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { SyncStateStore } from '../store/types.js';

/** The one lease every sync run takes: one run at a time per store, whichever process starts it. */
export const SYNC_LEASE = 'sync.run';

/** Another run holds the store's sync lease; this run did not start. */
export class SyncBusyError extends Error {
  constructor(readonly holder: string, readonly until: Date) {
    super(`another sync run holds the store (${holder}, lease until ${until.toISOString()})`);
  }
}

export interface LeaseOptions {
  /** How long a lease lasts without renewal: the longest a crashed run on another host blocks the next. */
  ttlMs: number;
}

export const DEFAULT_LEASE: LeaseOptions = { ttlMs: 120_000 };

/** `host:pid:random`, so a lease left by a dead process on this host can be recognised. */
function holderId(): string {
  return `${hostname()}:${process.pid}:${randomUUID()}`;
}

/** True when `holder` names a process on this host that no longer exists (killed mid-run). */
function deadLocalHolder(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface HeldLease {
  /** Throws once a renewal found the lease taken: the run must not write on. */
  assertHeld(): void;
}

/**
 * Runs `fn` holding the store's sync lease, renewed every third of its life and released after.
 * Refuses with SyncBusyError while another live run holds it; a lease of a dead local process, or
 * an expired one, is taken over at once.
 */
export async function withSyncLease<T>(store: SyncStateStore, fn: (lease: HeldLease) => Promise<T>, options: LeaseOptions = DEFAULT_LEASE): Promise<T> {
  const holder = holderId();
  const take = (takeOverFrom?: string) => {
    const now = new Date();
    return store.acquireLease(SYNC_LEASE, holder, new Date(now.getTime() + options.ttlMs), now, takeOverFrom);
  };
  let held = await take();
  if (!held) {
    const current = await store.getLease(SYNC_LEASE);
    // Taking over names the exact dead holder: if a live run took the lease meanwhile, this fails.
    held = current === undefined ? await take() : deadLocalHolder(current.holder) && (await take(current.holder));
  }
  if (!held) {
    const current = await store.getLease(SYNC_LEASE);
    throw new SyncBusyError(current?.holder ?? 'unknown', current?.expiresAt ?? new Date());
  }
  let lost = false;
  const renew = setInterval(() => {
    take().then((ok) => { lost ||= !ok; }, () => { lost = true; });
  }, Math.max(1, Math.floor(options.ttlMs / 3)));
  renew.unref();
  try {
    return await fn({
      assertHeld: () => {
        if (lost) throw new Error('the sync lease was lost (renewal failed); stopping before writing more');
      },
    });
  } finally {
    clearInterval(renew);
    await store.releaseLease(SYNC_LEASE, holder);
  }
}
