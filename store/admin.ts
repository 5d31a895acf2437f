import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { postgresOptions } from './index.js';
import { postgresStore, unavailable } from './postgres/index.js';
import { migrate as migratePostgres, schemaVersion } from './postgres/migrations.js';
import { sqliteStore } from './sqlite/index.js';
import { SQLITE_LATEST } from './sqlite/migrations.js';

/*
 * What `gatehouse store migrate|status|copy` do: schema versions of either adapter, and moving an
 * embedded install's SQLite file into PostgreSQL for a farm.
 */

/** Every table of data, in the order a copy writes them. Leases are left out: they belong to running processes. */
export const DATA_TABLES = ['keys', 'sessions', 'counters', 'audit_events', 'sync_objects', 'sync_values', 'sync_journal', 'sync_runs', 'account_activity', 'mfa_totp', 'oidc_models', 'oidc_clients', 'trusts'] as const;

type StoreConfig = Pick<Config, 'store'>;

export interface StoreStatus {
  kind: 'sqlite' | 'postgres';
  /** The file, or the URL without its password. */
  location: string;
  version: number;
  latest: number;
  rows: Record<string, number>;
}

/** The PostgreSQL URL as it may be printed: no password. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(unparsable URL)';
  }
}

export async function migrateStore(config: StoreConfig): Promise<{ from: number; to: number }> {
  if (config.store.kind === 'sqlite') {
    const from = sqliteVersion(config.store.sqlitePath);
    await sqliteStore(config.store.sqlitePath).close();
    return { from, to: SQLITE_LATEST };
  }
  return withPostgres(config, (store) => migratePostgres(store.pool));
}

/** Runs `fn` on a pool of its own, an outage reported as StoreUnavailableError. */
async function withPostgres<T>(config: StoreConfig, fn: (store: ReturnType<typeof postgresStore>) => Promise<T>): Promise<T> {
  const store = postgresStore(postgresOptions(config.store, false));
  try {
    return await fn(store).catch(unavailable);
  } finally {
    await store.close();
  }
}

export async function storeStatus(config: StoreConfig): Promise<StoreStatus> {
  if (config.store.kind === 'sqlite') {
    const path = config.store.sqlitePath;
    const version = sqliteVersion(path);
    const rows: Record<string, number> = {};
    if (version > 0) {
      const db = new Database(path, { readonly: true });
      for (const t of DATA_TABLES) rows[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      db.close();
    }
    return { kind: 'sqlite', location: path, version, latest: SQLITE_LATEST, rows };
  }
  return withPostgres(config, async (store) => {
    const { version, latest } = await schemaVersion(store.pool);
    return { kind: 'postgres', location: redactedUrl(config.store.url!), version, latest, rows: version > 0 ? await countRows(store.pool) : {} };
  });
}

function sqliteVersion(path: string): number {
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE name = 'schema_version'").get();
    return table ? ((db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined)?.version ?? 0) : 0;
  } finally {
    db.close();
  }
}

async function countRows(pool: { query: (sql: string) => Promise<{ rows: { n: number }[] }> }): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const t of DATA_TABLES) rows[t] = (await pool.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n;
  return rows;
}

// PostgreSQL takes at most 65,535 parameters per statement.
const MAX_PARAMS = 60_000;

/**
 * Copies every row of the SQLite file (`store.sqlitePath`, upgraded to its latest schema first) into
 * the PostgreSQL store (`store.url`, migrated first) in one transaction: all rows or none. The
 * target must hold no data, so a copy never merges two installs. Returns the rows copied per table.
 */
export async function copySqliteToPostgres(config: StoreConfig): Promise<Record<string, number>> {
  const path = config.store.sqlitePath;
  if (!existsSync(path)) throw new Error(`no SQLite store at ${path} (store.sqlitePath)`);
  await sqliteStore(path).close();
  const source = new Database(path, { readonly: true });
  try {
    return await withPostgres(config, async (target) => {
      await migratePostgres(target.pool);
      const held = Object.entries(await countRows(target.pool)).filter(([, n]) => n > 0);
      if (held.length > 0) throw new Error(`the PostgreSQL store already holds data (${held.map(([t, n]) => `${n} ${t}`).join(', ')}); copy only into an empty database`);
      return target.db.transaction(async (client) => {
        const copied: Record<string, number> = {};
        for (const table of DATA_TABLES) {
          const rows = source.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
          copied[table] = rows.length;
          if (rows.length === 0) continue;
          const columns = Object.keys(rows[0]!);
          const perStatement = Math.floor(MAX_PARAMS / columns.length);
          for (let i = 0; i < rows.length; i += perStatement) {
            const batch = rows.slice(i, i + perStatement);
            const values = batch.map((_, r) => `(${columns.map((_c, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
            await client.query(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${values}`, batch.flatMap((row) => columns.map((c) => row[c])));
          }
        }
        // Copied audit ids keep their numbers; new events continue after the highest.
        await client.query("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), COALESCE((SELECT max(id) FROM audit_events), 0) + 1, false)");
        return copied;
      });
    });
  } finally {
    source.close();
  }
}
