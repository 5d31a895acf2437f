import cliProgress from 'cli-progress';
import type { SyncProgress } from './engine.js';

export interface ProgressReporter {
  onProgress: (p: SyncProgress) => void;
  stop: () => void;
}

/** One progress line as JSON: what logs and pipes get. */
export interface ProgressLine extends SyncProgress {
  at: string;
  /** Graph writes per second since the export phase began. */
  perSecond?: number;
}

/** Rate of export writes since the first export event of a run. */
function rateMeter(): (p: SyncProgress) => number | undefined {
  let since: number | undefined;
  return (p) => {
    if (p.phase !== 'export') {
      since = undefined;
      return undefined;
    }
    since ??= Date.now();
    return Math.round(((p.done ?? 0) * 1000) / Math.max(Date.now() - since, 1));
  };
}

export function jsonLinesProgress(write: (line: string) => void): ProgressReporter {
  const rate = rateMeter();
  return {
    onProgress: (p) => {
      const perSecond = rate(p);
      const line: ProgressLine = { at: new Date().toISOString(), ...p, ...(perSecond === undefined ? {} : { perSecond }) };
      write(`${JSON.stringify(line)}\n`);
    },
    stop: () => undefined,
  };
}

/** A bar with counts and rate on a terminal; phases before the export as plain lines. */
export function barProgress(stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new cliProgress.SingleBar({ format: 'sync {phase} |{bar}| {value}/{total} writes  {rate}/s', stream }, cliProgress.Presets.shades_classic);
  const rate = rateMeter();
  let running = false;
  return {
    onProgress: (p) => {
      const perSecond = rate(p);
      if (p.phase === 'export') {
        if (!running) bar.start(Math.max(p.total ?? 0, 1), 0, { phase: p.phase, rate: 0 });
        running = true;
        // `total` counts planned operations; memberships retried one by one can outnumber it.
        bar.setTotal(Math.max(p.total ?? 0, p.done ?? 0, 1));
        bar.update(p.done ?? 0, { phase: p.phase, rate: perSecond ?? 0 });
        return;
      }
      if (running) bar.stop();
      running = false;
      stream.write(`sync: ${p.phase}${p.message ? ` ${p.message}` : ''}\n`);
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** A bar when a person watches (stderr is a terminal), JSON lines on stdout otherwise. */
export function progressFor(stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream): ProgressReporter {
  return stderr.isTTY ? barProgress(stderr) : jsonLinesProgress((line) => stdout.write(line));
}
