import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { answerPrimaryForMetrics, clusterMetrics } from '../health/cluster-metrics.js';
import type { ClusterOperations } from './ops.js';
import { startGatehouse, type RunningGatehouse } from './start.js';

/*
 * `gatehouse serve` on every core (node:cluster): the primary holds the listening socket and hands
 * each connection to one of `server.workers` worker processes, each a whole Gatehouse with its own
 * runtime. Workers share state only through the store (SQLite in WAL mode across processes,
 * PostgreSQL for a farm), as nodes of a farm do; per-process timers are already safe to run in
 * each (key refresh re-reads, the rollover runs under a store lease, housekeeping deletes are
 * idempotent). The probe of every worker answers 200 only while all workers are ready, so a load
 * balancer never sends a node traffic it can serve only in part. The admin listener (sts/ops.ts)
 * runs in every worker on the one admin port too, keeping its credential checks, audit and store
 * there; what only the whole server knows, a worker asks the primary for (below): /metrics is
 * every worker's metrics merged, and the health page waits for every worker's chart counts.
 */

/**
 * Messages between the primary and its workers. A worker's admin listener asks the primary for
 * what only the whole server knows (`ask`): the metrics of every worker merged, or every worker's
 * chart counts written to the store before the health page reads them (`flush` / `flushed`).
 */
type Question = 'metrics' | 'flush';
type ToPrimary = { gatehouse: 'ready' } | { gatehouse: 'ask'; id: number; what: Question } | { gatehouse: 'flushed'; id: number };
type ToWorker =
  | { gatehouse: 'all-ready'; value: boolean }
  | { gatehouse: 'stop' }
  | { gatehouse: 'answer'; id: number; body?: string; contentType?: string; error?: string }
  | { gatehouse: 'flush'; id: number };

/** How long the primary waits for every worker's part of an answer (prom-client's own limit is 5 s too). */
const ASK_TIMEOUT_MS = 5000;
/** A worker that exits this soon after it was forked is restarted only after a pause, so a crash at start does not spin. */
const CRASH_PAUSE_MS = 1000;
/** Beyond the configured grace, how long a stopping worker may take to close its runtime before it is killed. */
const STOP_MARGIN_MS = 5000;

export function workerCount(config: Config): number {
  return config.server.workers > 0 ? config.server.workers : availableParallelism();
}

function isMessage<T extends { gatehouse: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { gatehouse?: unknown }).gatehouse === 'string';
}

/**
 * The primary: forks one worker first (it applies store migrations and generates the first
 * signing key alone), then the rest; replaces a worker that dies; SIGHUP restarts the workers one
 * at a time (a new one ready before the old one stops); SIGTERM / SIGINT stop them all
 * gracefully. Resolves once the first full set of workers is ready.
 */
export async function runPrimary(config: Config, log: Logger): Promise<{ stop(): Promise<void> }> {
  const size = workerCount(config);
  const ready = new Set<Worker>();
  const retiring = new Set<Worker>();
  let stopping = false;
  let started = false;
  let allReady = false;

  const announce = () => {
    const now = !stopping && ready.size - [...retiring].filter((w) => ready.has(w)).length >= size;
    if (now === allReady) return;
    allReady = now;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send({ gatehouse: 'all-ready', value: now } satisfies ToWorker);
    log.info({ workers: size, ready: now }, now ? 'all workers ready' : 'not all workers ready');
  };

  const metrics = clusterMetrics();
  const flushes = new Map<number, { pending: Set<Worker>; done(): void }>();
  let flushCount = 0;
  /** Every connected worker writes its chart counts; resolves when all have, or at the time limit (a worker that hangs must not hang the page). */
  const flushAll = () =>
    new Promise<void>((resolve) => {
      const id = flushCount++;
      const pending = new Set(Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true));
      const timer = setTimeout(() => done(), ASK_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        flushes.delete(id);
        resolve();
      };
      if (pending.size === 0) return done();
      flushes.set(id, { pending, done });
      for (const w of pending) w.send({ gatehouse: 'flush', id } satisfies ToWorker);
    });
  const answer = async (worker: Worker, id: number, what: Question) => {
    try {
      if (what === 'metrics') {
        const m = await metrics();
        worker.send({ gatehouse: 'answer', id, body: m.body, contentType: m.contentType } satisfies ToWorker);
      } else {
        await flushAll();
        worker.send({ gatehouse: 'answer', id } satisfies ToWorker);
      }
    } catch (err) {
      if (worker.isConnected()) worker.send({ gatehouse: 'answer', id, error: (err as Error).message } satisfies ToWorker);
    }
  };

  const fork = (): Promise<Worker> => {
    const forkedAt = Date.now();
    const worker = cluster.fork();
    return new Promise<Worker>((resolve, reject) => {
      worker.on('message', (m: unknown) => {
        if (!isMessage<ToPrimary>(m)) return;
        if (m.gatehouse === 'ask') return void answer(worker, m.id, m.what);
        if (m.gatehouse === 'flushed') {
          const f = flushes.get(m.id);
          f?.pending.delete(worker);
          if (f?.pending.size === 0) f.done();
          return;
        }
        if (m.gatehouse !== 'ready') return;
        ready.add(worker);
        worker.send({ gatehouse: 'all-ready', value: allReady } satisfies ToWorker);
        announce();
        resolve(worker);
      });
      worker.once('exit', (code, signal) => {
        for (const f of flushes.values()) if (f.pending.delete(worker) && f.pending.size === 0) f.done();
        const wasReady = ready.delete(worker);
        const planned = retiring.delete(worker) || stopping;
        announce();
        if (!wasReady) reject(new Error(`worker ${worker.process.pid} exited before it was ready (${signal ?? code})`));
        // Before the first full set is up, a worker that dies fails the start instead.
        if (planned || !started) return;
        log.error({ worker: worker.process.pid, code, signal }, 'worker died; starting another');
        const pause = Date.now() - forkedAt < CRASH_PAUSE_MS * 5 ? CRASH_PAUSE_MS : 0;
        setTimeout(() => {
          if (!stopping) void fork().catch((err: unknown) => log.error({ err }, 'replacement worker failed to start'));
        }, pause);
      });
    });
  };

  const retire = (worker: Worker): Promise<void> =>
    new Promise<void>((resolve) => {
      if (worker.isDead()) return resolve();
      retiring.add(worker);
      announce();
      const kill = setTimeout(() => worker.kill('SIGKILL'), config.server.shutdownGraceMs + STOP_MARGIN_MS);
      worker.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      worker.send({ gatehouse: 'stop' } satisfies ToWorker);
    });

  const stop = async () => {
    stopping = true;
    announce();
    await Promise.all(Object.values(cluster.workers ?? {}).flatMap((w) => (w ? [retire(w)] : [])));
  };

  let restarting: Promise<void> | undefined;
  const restart = async () => {
    for (const old of Object.values(cluster.workers ?? {})) {
      if (!old || stopping || retiring.has(old)) continue;
      await fork();
      await retire(old);
    }
    log.info({ workers: size }, 'workers restarted');
  };
  process.on('SIGHUP', () => {
    if (stopping || restarting) return;
    log.info('SIGHUP: restarting the workers one at a time');
    restarting = restart().catch((err: unknown) => log.error({ err }, 'worker restart failed')).finally(() => (restarting = undefined));
  });

  try {
    await fork();
    await Promise.all(Array.from({ length: size - 1 }, fork));
    started = true;
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}

/**
 * A worker: a whole Gatehouse whose probe also waits for its siblings. It stops gracefully when the
 * primary says so, and when the primary is gone (its channel closes), so no worker outlives it.
 */
export async function runWorker(config: Config, log: Logger): Promise<void> {
  let siblingsReady = false;
  const metrics = answerPrimaryForMetrics();
  let flushHistory = () => Promise.resolve();
  const asked = new Map<number, { resolve(m: Extract<ToWorker, { gatehouse: 'answer' }>): void; reject(err: Error): void }>();
  let askCount = 0;
  const ask = (what: Question) =>
    new Promise<Extract<ToWorker, { gatehouse: 'answer' }>>((resolve, reject) => {
      const id = askCount++;
      // The primary answers within its own limit; this one only covers a primary that is gone.
      const timer = setTimeout(() => {
        asked.delete(id);
        reject(new Error(`the primary did not answer "${what}"`));
      }, ASK_TIMEOUT_MS * 2);
      asked.set(id, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
      process.send?.({ gatehouse: 'ask', id, what } satisfies ToPrimary);
    });
  process.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m)) return;
    if (m.gatehouse === 'all-ready') siblingsReady = m.value;
    if (m.gatehouse === 'stop') void stop();
    if (m.gatehouse === 'answer') {
      const waiting = asked.get(m.id);
      asked.delete(m.id);
      if (m.error === undefined) waiting?.resolve(m);
      else waiting?.reject(new Error(m.error));
    }
    if (m.gatehouse === 'flush') {
      const flushed = () => process.send?.({ gatehouse: 'flushed', id: m.id } satisfies ToPrimary);
      void flushHistory().catch((err: unknown) => log.warn({ err }, 'chart history not written for the health page')).finally(flushed);
    }
  });
  const whole: ClusterOperations = {
    metrics: async () => {
      const m = await ask('metrics');
      return { contentType: m.contentType ?? '', body: m.body ?? '' };
    },
    flushHistory: async () => void (await ask('flush')),
  };
  const running: RunningGatehouse = await startGatehouse(config, log, { peersReady: () => siblingsReady, cluster: whole });
  metrics.share(running.runtime.metrics.registry);
  flushHistory = () => running.runtime.history.flush();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= running.stop().then(() => {
      log.flush();
      process.exit(0);
    }));
  process.once('disconnect', () => void stop());
  // A signal to this worker alone (kill -TERM <pid>) drains it; the primary starts another. ^C
  // reaches the whole process group: the primary stops the workers in order.
  process.once('SIGTERM', () => void stop());
  process.on('SIGINT', () => undefined);
  process.send?.({ gatehouse: 'ready' } satisfies ToPrimary);
}

/**
 * `gatehouse serve`: one process when `server.workers` is 1, else a primary and its workers; the
 * primary stops them on SIGTERM / SIGINT. Resolves once serving; exits the process when stopped.
 */
export async function serve(config: Config, log: Logger): Promise<void> {
  if (cluster.isWorker) return runWorker(config, log);
  const running = workerCount(config) === 1 ? await startGatehouse(config, log) : await runPrimary(config, log);
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    void running.stop().then(() => {
      log.flush();
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
