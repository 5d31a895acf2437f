import { Command } from 'commander';
import { loadConfig, type Config } from '../config/load.js';
import { auditLine } from '../health/audit-file.js';
import { eventIdOf } from '../health/audit-events.js';
import { searchAudit, searchFor } from '../health/audit-query.js';
import { openStore, type Store } from '../store/index.js';
import type { AuditEvent } from '../store/types.js';
import { configOption } from './options.js';

async function withStore<T>(configFile: string, fn: (config: Config, store: Store) => Promise<T>): Promise<T> {
  const config = await loadConfig(configFile);
  const store = openStore(config);
  try {
    return await fn(config, store);
  } finally {
    await store.close();
  }
}

/** One event per line: time, event id, type, outcome, user, then what else it says. */
function print(events: AuditEvent[], json: boolean | undefined): void {
  for (const e of events) {
    if (json) process.stdout.write(`${JSON.stringify(auditLine(e))}\n`);
    else {
      const rest = [e.relyingParty && `rp=${e.relyingParty}`, e.clientIp && `ip=${e.clientIp}`, e.reason && `reason=${e.reason}`, e.details && JSON.stringify(e.details)].filter(Boolean);
      process.stdout.write(`${e.at.toISOString()} ${eventIdOf(e) ?? '-'} ${e.type} ${e.outcome} ${e.user ?? '-'}${rest.length ? ` ${rest.join(' ')}` : ''}\n`);
    }
  }
}

type Filters = { user?: string; event?: string; since?: string; until?: string; json?: boolean };

async function searchCommand(o: Filters & { config: string; limit: string }): Promise<void> {
  await withStore(o.config, async (config, store) => {
    const found = await searchAudit(config, store.audit, { ...o, limit: positive(o.limit, '--limit') });
    // Oldest first, as a log reads; the limit keeps the newest.
    print(found.reverse(), o.json);
    if (found.length === 0) process.exitCode = 1;
  });
}

async function tailCommand(o: Filters & { config: string; lines: string; follow?: boolean; interval: string }): Promise<void> {
  await withStore(o.config, async (config, store) => {
    const { search, keep } = searchFor(config, store.audit, { ...o, limit: positive(o.lines, '--lines') });
    const first = (await store.audit.search(search)).filter(keep).reverse();
    print(first, o.json);
    if (!o.follow) return;
    let last = first.at(-1)?.id ?? (await store.audit.search({ limit: 1 }))[0]?.id ?? 0;
    const everyMs = positive(o.interval, '--interval') * 1000;
    // Until interrupted (SIGINT ends the process): what was appended since, by any node.
    for (;;) {
      await new Promise((r) => setTimeout(r, everyMs));
      const next = (await store.audit.search({ ...search, afterId: last, limit: 1000 })).reverse();
      if (next.length > 0) last = next.at(-1)!.id!;
      print(next.filter(keep), o.json);
    }
  });
}

function positive(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a whole number above 0, not ${value}`);
  return n;
}

const filters = (c: Command) =>
  c
    .option(...configOption)
    .option('--user <upn>', 'events of this user (a UPN in any case; also the pseudonym a mistyped or unknown name was recorded as)')
    .option('--event <type|id>', 'one event type or event id (README "Audit log"), e.g. signin, 8001, lockout')
    .option('--since <time>', 'from this time: ISO date/time or an age (15m, 2h, 7d)')
    .option('--until <time>', 'before this time')
    .option('--json', 'one JSON object per line, as the audit.file sink writes');

/** `gatehouse audit search|tail`: the audit events in the store, from every node. */
export function auditCommand(): Command {
  const audit = new Command('audit').description('the audit log: sign-ins, tokens, failures, lockouts, key, trust and federation changes, sync runs');
  filters(audit.command('search').description('events matching the filters, oldest first; exit 1 when none')).option('--limit <n>', 'at most this many (the newest)', '100').action(searchCommand);
  filters(audit.command('tail').description('the latest events; -f keeps printing new ones'))
    .option('-n, --lines <n>', 'how many of the latest to print first', '20')
    .option('-f, --follow', 'keep printing events as any node records them')
    .option('--interval <seconds>', 'with -f: how often the store is read', '1')
    .action(tailCommand);
  return audit;
}
