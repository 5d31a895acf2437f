import { setTimeout as sleep } from 'node:timers/promises';
import type { SyncEngine, SyncReport } from './engine.js';
import { SyncBusyError } from './lease.js';

export interface SyncLoopOptions {
  /** Start to start: a run longer than this is followed by the next at once, never overlapped. */
  intervalMs: number;
  /** `schedule`: a full delta run each tick; `watch`: a DirSync poll that runs only on changes. */
  mode: 'schedule' | 'watch';
  /** Aborting stops the loop after the run in progress (never in the middle of one). */
  signal: AbortSignal;
  /** A run that happened (watch: only polls that found changes). */
  onReport?: (report: SyncReport) => void;
  /** Another process's run held the store: this tick was skipped. */
  onBusy?: (err: SyncBusyError) => void;
  /** A run that failed; the loop goes on with the next tick. */
  onError?: (err: Error) => void;
  /** Every tick, after its run or poll: lets a caller count polls. */
  onTick?: (tick: number) => void;
}

/**
 * The scheduler (every `sync.scheduleMinutes`, like Entra Connect's sync scheduler) and the watch
 * mode (a DirSync poll every few seconds). Runs in one loop never overlap; runs of other processes
 * are kept out by the store's sync lease (sync/lease.ts), so a tick that meets one is skipped, not
 * queued.
 */
export async function runSyncLoop(engine: Pick<SyncEngine, 'run' | 'poll'>, options: SyncLoopOptions): Promise<{ ticks: number; runs: number }> {
  const { signal } = options;
  let ticks = 0;
  let runs = 0;
  while (!signal.aborted) {
    const started = Date.now();
    try {
      const report = options.mode === 'watch' ? await engine.poll() : await engine.run();
      if (report) {
        runs++;
        options.onReport?.(report);
      }
    } catch (err) {
      if (err instanceof SyncBusyError) options.onBusy?.(err);
      else options.onError?.(err as Error);
    }
    options.onTick?.(++ticks);
    const wait = Math.max(0, started + options.intervalMs - Date.now());
    await sleep(wait, undefined, { signal }).catch(() => undefined);
  }
  return { ticks, runs };
}
