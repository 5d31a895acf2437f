import { journalFromRow, syncObjectFromJson, syncObjectToJson, syncRunFromJson, syncRunToJson, type JournalRow } from '../rows.js';
import type { SyncStateStore } from '../types.js';
import type { Db } from './index.js';

/** Sync state, rollover state and leases in PostgreSQL: the rows of store/sqlite/sync.ts. */
export function postgresSyncStore(db: Db): SyncStateStore {
  return {
    async listObjects() {
      return (await db.query<{ data: string }>('SELECT data FROM sync_objects ORDER BY anchor')).rows.map((r) => syncObjectFromJson(r.data));
    },
    async getObject(anchor) {
      const row = (await db.query<{ data: string }>('SELECT data FROM sync_objects WHERE anchor = $1', [anchor])).rows[0];
      return row && syncObjectFromJson(row.data);
    },
    async putObjects(records) {
      if (records.length === 0) return;
      // One statement over arrays: all records or none, without a round trip per object. An upsert
      // may touch a row once per statement, so a repeated anchor keeps its last record (as in SQLite).
      const last = [...new Map(records.map((r) => [r.anchor, r])).values()];
      await db.query(
        `INSERT INTO sync_objects (anchor, kind, data) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (anchor) DO UPDATE SET kind = excluded.kind, data = excluded.data`,
        [last.map((r) => r.anchor), last.map((r) => r.kind), last.map(syncObjectToJson)],
      );
    },
    async deleteObjects(anchors) {
      await db.query('DELETE FROM sync_objects WHERE anchor = ANY($1::text[])', [anchors]);
    },
    async getValue(key) {
      return (await db.query<{ value: string }>('SELECT value FROM sync_values WHERE key = $1', [key])).rows[0]?.value;
    },
    async setValue(key, value) {
      if (value === null) await db.query('DELETE FROM sync_values WHERE key = $1', [key]);
      else await db.query('INSERT INTO sync_values (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
    async addIntents(entries) {
      if (entries.length === 0) return;
      await db.query(
        `INSERT INTO sync_journal (id, run_id, anchor, op, detail, at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) ON CONFLICT (id) DO NOTHING`,
        [entries.map((e) => e.id), entries.map((e) => e.runId), entries.map((e) => e.anchor), entries.map((e) => e.op), entries.map((e) => JSON.stringify(e.detail)), entries.map((e) => e.at.getTime())],
      );
    },
    async listIntents() {
      return (await db.query<JournalRow>('SELECT * FROM sync_journal ORDER BY at, id')).rows.map(journalFromRow);
    },
    async clearIntents(ids) {
      await db.query('DELETE FROM sync_journal WHERE id = ANY($1::text[])', [ids]);
    },
    async saveRun(run) {
      await db.query('INSERT INTO sync_runs (id, started_at, data) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET data = excluded.data', [run.id, run.startedAt.getTime(), syncRunToJson(run)]);
    },
    async recentRuns(limit) {
      return (await db.query<{ data: string }>('SELECT data FROM sync_runs ORDER BY started_at DESC, id DESC LIMIT $1', [limit])).rows.map((r) => syncRunFromJson(r.data));
    },
    async acquireLease(name, holder, expiresAt, now, takeOverFrom) {
      // One conditional upsert: the row lock makes take-if-free-or-ours atomic across nodes.
      const r = await db.query(
        `INSERT INTO sync_leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE sync_leases.holder = excluded.holder OR sync_leases.expires_at <= $4 OR sync_leases.holder = $5`,
        [name, holder, expiresAt.getTime(), now.getTime(), takeOverFrom ?? null],
      );
      return r.rowCount === 1;
    },
    async getLease(name) {
      const row = (await db.query<{ holder: string; expires_at: number }>('SELECT holder, expires_at FROM sync_leases WHERE name = $1', [name])).rows[0];
      return row && { holder: row.holder, expiresAt: new Date(row.expires_at) };
    },
    async releaseLease(name, holder) {
      await db.query('DELETE FROM sync_leases WHERE name = $1 AND holder = $2', [name, holder]);
    },
  };
}
