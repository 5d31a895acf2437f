/** What a fault does to the request it hits. */
export type FaultKind = 'throttle' | 'unavailable' | 'drop';

export interface FaultMatch {
  /** HTTP method, upper-case; any when absent. */
  method?: string;
  /** The request path without query, e.g. `/v1.0/users` (batch items are seen under `/v1.0` too); any when absent. */
  path?: string | RegExp;
  /** Only whole HTTP requests (`'request'`) or only items inside a `$batch` (`'batch-item'`); both when absent. */
  scope?: 'request' | 'batch-item';
}

export interface FaultOptions extends FaultMatch {
  /** How many matching requests to hit (default 1). */
  count?: number;
  /** `Retry-After` seconds for throttle / unavailable (default 1 for 429, none for 503). */
  retryAfterSeconds?: number;
}

interface Rule extends FaultOptions { kind: FaultKind; remaining: number }

export interface SeenRequest { method: string; path: string; scope: 'request' | 'batch-item'; fault: FaultKind | null }

/**
 * Faults the tests switch on so every client retry path runs: the next N matching
 * requests answer 429 + Retry-After (Graph throttling, ENTRA.md §8.3), 503, or lose their connection.
 * Every request is logged so a test can count retries.
 */
export class Faults {
  readonly seen: SeenRequest[] = [];
  private rules: Rule[] = [];

  throttle(opts: FaultOptions = {}): void { this.add('throttle', opts); }
  unavailable(opts: FaultOptions = {}): void { this.add('unavailable', opts); }
  /** Dropped connections apply to whole requests only: a batch item has no connection of its own. */
  drop(opts: FaultOptions = {}): void { this.add('drop', { ...opts, scope: 'request' }); }

  /** How many requests matched (faulted or not). */
  count(match: FaultMatch = {}): number {
    return this.seen.filter((s) => matches(match, s.method, s.path, s.scope)).length;
  }

  reset(): void {
    this.rules = [];
    this.seen.length = 0;
  }

  /** Log a request and return the fault it must suffer, if any (used by the server and by `$batch`). */
  take(method: string, path: string, scope: 'request' | 'batch-item'): Rule | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && matches(r, method, path, scope));
    if (rule) rule.remaining -= 1;
    this.seen.push({ method, path, scope, fault: rule?.kind ?? null });
    return rule;
  }

  private add(kind: FaultKind, opts: FaultOptions): void {
    this.rules.push({ ...opts, kind, remaining: opts.count ?? 1 });
  }
}

function matches(m: FaultMatch, method: string, path: string, scope: 'request' | 'batch-item'): boolean {
  if (m.method && m.method.toUpperCase() !== method) return false;
  if (m.scope && m.scope !== scope) return false;
  if (m.path === undefined) return true;
  return typeof m.path === 'string' ? m.path === path : m.path.test(path);
}
