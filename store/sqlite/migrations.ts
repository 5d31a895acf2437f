import type Database from 'better-sqlite3';
import { accountActivityTable } from '../activity-schema.js';
import { keysTable, ONE_ACTIVE_ONE_NEXT } from '../key-schema.js';
import { mfaTotpTable } from '../mfa-schema.js';
import { oidcTables } from '../oidc-schema.js';
import { AUDIT_BY_TIME, trustsTable } from '../shared-schema.js';

/**
 * Versioned schema changes, applied in order inside one transaction each. Append only: a released
 * migration is never edited, so every node upgrades the same way.
 */
const migrations: string[] = [
  `CREATE TABLE audit_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     type TEXT NOT NULL,
     outcome TEXT NOT NULL CHECK (outcome IN ('success','failure')),
     user TEXT, relying_party TEXT, client_ip TEXT, reason TEXT, details TEXT
   );
   CREATE INDEX audit_events_type ON audit_events (type, id);
   CREATE INDEX audit_events_user ON audit_events (user, id);
   CREATE TABLE keys (
     id TEXT PRIMARY KEY,
     use TEXT NOT NULL CHECK (use IN ('signing','decrypting')),
     status TEXT NOT NULL CHECK (status IN ('active','next','retired')),
     certificate BLOB NOT NULL,
     sealed_private_key BLOB NOT NULL,
     not_before INTEGER NOT NULL,
     not_after INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     user TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX sessions_expiry ON sessions (expires_at);
   CREATE TABLE counters (
     key TEXT PRIMARY KEY,
     value INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX counters_expiry ON counters (expires_at);`,
  // Sync state (SyncStateStore): objects and runs as JSON documents keyed by plain columns, so the
  // PostgreSQL adapter can keep the same shape.
  `CREATE TABLE sync_objects (
     anchor TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     data TEXT NOT NULL
   );
   CREATE TABLE sync_values (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );
   CREATE TABLE sync_journal (
     id TEXT PRIMARY KEY,
     run_id TEXT NOT NULL,
     anchor TEXT NOT NULL,
     op TEXT NOT NULL,
     detail TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE TABLE sync_runs (
     id TEXT PRIMARY KEY,
     started_at INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX sync_runs_started ON sync_runs (started_at);`,
  // One sync at a time per store (sync/lease.ts): a lease row taken by an atomic upsert.
  `CREATE TABLE sync_leases (
     name TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );`,
  // Certificate lifecycle (keys/rollover.ts): the `previous` state and where a key came from.
  // SQLite cannot change a CHECK constraint in place: the table is rebuilt.
  `${keysTable('keys_v2', { bytes: 'BLOB', time: 'INTEGER' })}
   INSERT INTO keys_v2 (id, use, status, certificate, sealed_private_key, not_before, not_after, created_at)
     SELECT id, use, status, certificate, sealed_private_key, not_before, not_after, created_at FROM keys;
   DROP TABLE keys;
   ALTER TABLE keys_v2 RENAME TO keys;`,
  ONE_ACTIVE_ONE_NEXT,
  // Extranet smart lockout (sts/signin/extranet-lockout.ts): familiar addresses and last failures per account.
  accountActivityTable({ time: 'INTEGER' }),
  // TOTP enrolments (sts/signin/mfa/totp.ts): a sealed secret and the last used step per user.
  mfaTotpTable({ bytes: 'BLOB', int: 'INTEGER' }),
  // OpenID Connect (issue [O]): the provider's codes, tokens, grants, sessions and the CLI-added clients.
  oidcTables('INTEGER'),
  // Relying-party trusts added from metadata at run time (gatehouse trust add).
  trustsTable({ int: 'INTEGER' }),
  AUDIT_BY_TIME,
];

export const SQLITE_LATEST = migrations.length;

/** Applies the migrations the database lacks, up to `target` (all; tests build older versions with less). */
export function migrate(db: Database.Database, target = migrations.length): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  let version = row?.version ?? 0;
  if (version > migrations.length) {
    throw new Error(`database schema version ${version} is newer than this Gatehouse (${migrations.length}); upgrade Gatehouse`);
  }
  for (; version < target; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.prepare('DELETE FROM schema_version').run();
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version + 1);
    })();
  }
  return version;
}
