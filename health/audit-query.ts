import type { Config } from '../config/load.js';
import type { AuditEvent, AuditSearch, AuditStore } from '../store/types.js';
import { parseKeyEncryptionKey } from '../keys/keystore.js';
import { auditFromConfig } from './audit.js';
import { eventNamed, kindOf, storedTypesOf } from './audit-events.js';
import { createLogger } from './log.js';

/** What `gatehouse audit search` is asked. */
export interface AuditQuery {
  user?: string | undefined;
  event?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since/--until`: an ISO 8601 date or date-time, or a time ago (`90s`, `15m`, `2h`, `7d`). */
export function parseWhen(value: string, now = new Date()): Date {
  const ago = /^(\d+)([smhd])$/.exec(value.trim());
  if (ago) return new Date(now.getTime() - Number(ago[1]) * UNITS[ago[2]!]!);
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new Error(`${value} is not a time: give an ISO date (2026-12-01, 2026-12-01T08:00:00Z) or an age (15m, 2h, 7d)`);
  return at;
}

/**
 * The store search for a query. A user is found under every name the audit may have kept for it:
 * the account's UPN (any case), and the keyed pseudonym a typed name that named no account
 * becomes (health/audit.ts typedName), so `--user` finds failed sign-ins with a mistyped or
 * unknown name too.
 */
export function searchFor(config: Pick<Config, 'keys' | 'federation'>, store: AuditStore, q: AuditQuery, now = new Date()): { search: AuditSearch; keep: (e: AuditEvent) => boolean } {
  const named = q.event === undefined ? undefined : eventNamed(q.event);
  const type = named?.type;
  const pseudonyms = auditFromConfig(config, store, createLogger('silent'), parseKeyEncryptionKey(config.keys.keyEncryptionKey));
  const users = q.user === undefined ? undefined : [...new Set([q.user.trim(), pseudonyms.typedName(q.user), pseudonyms.typedName(q.user.toLowerCase())])];
  return {
    search: { users, types: type === undefined ? undefined : storedTypesOf(type), since: q.since ? parseWhen(q.since, now) : undefined, until: q.until ? parseWhen(q.until, now) : undefined, limit: q.limit },
    // A lockout is a signin event with the lockout's reason; a signin asked for is any signin.
    keep: (e) => type === undefined || ((type === 'signin' || kindOf(e).type === type) && (named?.outcome === undefined || e.outcome === named.outcome)),
  };
}

export async function searchAudit(config: Pick<Config, 'keys' | 'federation'>, store: AuditStore, q: AuditQuery, now = new Date()): Promise<AuditEvent[]> {
  const { search, keep } = searchFor(config, store, q, now);
  return (await store.search(search)).filter(keep);
}
