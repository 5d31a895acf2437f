import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { openStore } from '../store/index.js';
import { objectErrors, type SyncReport } from '../sync/engine.js';
import { syncEngineFromConfig } from '../sync/from-config.js';
import { SYNC_LEASE, SyncBusyError } from '../sync/lease.js';
import { runSyncLoop } from '../sync/loop.js';
import { progressFor } from '../sync/progress.js';
import { configOption } from './options.js';

/** Seconds between DirSync polls of `sync watch` unless --interval says otherwise. */
const WATCH_SECONDS = 5;

function printReport(r: SyncReport, json: boolean): void {
  if (json) return void process.stdout.write(`${JSON.stringify({ run: r.run, pending: r.pending, upnFallbacks: r.upnFallbacks, errors: r.errors })}\n`);
  process.stdout.write(`${r.run.mode} run ${r.run.outcome}${r.run.message ? `: ${r.run.message}` : ''}\n`);
  process.stdout.write(`counts: ${JSON.stringify(r.run.counts)}\n`);
  for (const u of r.upnFallbacks) process.stdout.write(`upn suffix not verified in the tenant, onmicrosoft.com used: ${u.upn} (${u.dn})\n`);
  for (const e of r.errors) process.stdout.write(`error ${e.op} ${e.kind} ${e.dn}: ${e.message} (attempt ${e.attempts})\n`);
}

async function withEngine<T>(o: { config: string }, fn: (engine: Awaited<ReturnType<typeof syncEngineFromConfig>>['engine']) => Promise<T>): Promise<T> {
  const config = await loadConfig(o.config);
  const store = openStore(config);
  const progress = progressFor(process.stdout, process.stderr);
  const { engine, close } = await syncEngineFromConfig(config, store.sync, progress.onProgress, store.audit);
  try {
    return await fn(engine);
  } finally {
    progress.stop();
    await close();
    await store.close();
  }
}

/** The scheduler or the watch mode until SIGINT/SIGTERM, which stop it after the run in progress. */
async function loop(o: { config: string; json?: boolean }, mode: 'schedule' | 'watch', seconds: number): Promise<void> {
  const stop = new AbortController();
  const halt = () => stop.abort();
  process.once('SIGINT', halt);
  process.once('SIGTERM', halt);
  await withEngine(o, (engine) => runSyncLoop(engine, {
    mode, intervalMs: seconds * 1000, signal: stop.signal,
    onReport: (r) => printReport(r, o.json === true),
    onBusy: (err) => process.stderr.write(`sync: skipped: ${err.message}\n`),
    onError: (err) => process.stderr.write(`sync: run failed: ${err.message}\n`),
  }));
}

export function syncCommand(): Command {
  const sync = new Command('sync').description('synchronise AD users and groups to Microsoft Entra ID');
  sync.command('run').description('import from AD and export the changes to Entra (delta unless --full)').option(...configOption)
    .option('--full', 'full import instead of DirSync delta').option('--json', 'machine-readable report')
    .action(async (o: { config: string; full?: boolean; json?: boolean }) => {
      const report = await withEngine(o, (engine) => engine.run({ full: o.full === true })).catch((err: unknown) => {
        if (!(err instanceof SyncBusyError)) throw err;
        process.stderr.write(`sync: not started: ${err.message}\n`);
        process.exitCode = 4;
      });
      if (!report) return;
      printReport(report, o.json === true);
      if (report.run.outcome === 'stopped') process.exitCode = 3;
    });
  sync.command('preview').description('import and show what the next export would add, update and delete; write nothing').option(...configOption)
    .option('--json', 'machine-readable output')
    .action(async (o: { config: string; json?: boolean }) => {
      const report = await withEngine(o, (engine) => engine.run({ preview: true }));
      if (o.json) return void process.stdout.write(`${JSON.stringify({ pending: report.pending, changes: report.preview })}\n`);
      process.stdout.write(`pending: ${JSON.stringify(report.pending)}\n`);
      for (const c of report.preview) process.stdout.write(`${c.op.padEnd(13)} ${c.kind.padEnd(5)} ${c.dn}${c.detail ? `  (${c.detail})` : ''}\n`);
    });
  sync.command('status').description('last runs, their counts, and errors per object').option(...configOption).option('--json', 'machine-readable output')
    .action(async (o: { config: string; json?: boolean }) => {
      const config = await loadConfig(o.config);
      const store = openStore(config);
      try {
        const runs = await store.sync.recentRuns(5);
        const errors = await objectErrors(store.sync);
        const lease = await store.sync.getLease(SYNC_LEASE);
        if (o.json) return void process.stdout.write(`${JSON.stringify({ runs, errors, lease })}\n`);
        if (lease) process.stdout.write(`running now: ${lease.holder} (lease until ${lease.expiresAt.toISOString()})\n`);
        if (runs.length === 0) process.stdout.write('no sync run yet\n');
        for (const r of runs) process.stdout.write(`${r.startedAt.toISOString()} ${r.mode.padEnd(5)} ${r.outcome.padEnd(8)} ${JSON.stringify(r.counts)}${r.message ? ` ${r.message}` : ''}\n`);
        for (const e of errors) process.stdout.write(`error ${e.op} ${e.kind} ${e.dn}: ${e.message} (attempt ${e.attempts})\n`);
      } finally {
        await store.close();
      }
    });
  sync.command('schedule').description('run a delta sync every sync.scheduleMinutes until stopped').option(...configOption).option('--json', 'machine-readable reports')
    .action(async (o: { config: string; json?: boolean }) => loop(o, 'schedule', (await loadConfig(o.config)).sync.scheduleMinutes * 60));
  sync.command('watch').description('poll DirSync every few seconds and export each change at once').option(...configOption)
    .option('--interval <seconds>', 'seconds between polls', String(WATCH_SECONDS)).option('--json', 'machine-readable reports')
    .action(async (o: { config: string; interval: string; json?: boolean }) => loop(o, 'watch', Math.max(1, Number(o.interval) || WATCH_SECONDS)));
  return sync;
}
