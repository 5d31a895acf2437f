import type { Store } from './types.js';

/** The part of a logger a cycle writes to. */
export interface CycleLog {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * A node's periodic duty in a farm: every `intervalMs`, the node holding the lease `lease` (one per
 * store, so one per farm; held for three intervals, so a dead holder's lease passes on) runs
 * `leader`, then every node runs `everyNode`. The timer skips a beat while a cycle runs; a cycle
 * asked for while one runs (the CLI changed something, a test moved the clock) runs once after it.
 * Errors are logged and the next cycle tries again; `stop` ends it and frees the lease.
 */
export function leasedCycle(deps: { store: Store; lease: string; intervalMs: number; leader: () => Promise<void>; everyNode: () => Promise<void>; log: CycleLog; what: string; now: () => Date }): { cycle: () => Promise<void>; stop: () => Promise<void> } {
  const holder = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const once = async (): Promise<void> => {
    const now = deps.now();
    try {
      if (await deps.store.sync.acquireLease(deps.lease, holder, new Date(now.getTime() + 3 * deps.intervalMs), now)) await deps.leader();
      await deps.everyNode();
    } catch (err) {
      deps.log.error({ err }, `${deps.what} failed; retrying next cycle`);
    }
  };
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
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
      await deps.store.sync.releaseLease(deps.lease, holder).catch(() => undefined);
    },
  };
}
