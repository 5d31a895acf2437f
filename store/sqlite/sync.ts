import type Database from 'better-sqlite3';
import { journalFromRow, syncObjectFromJson, syncObjectToJson, syncRunFromJson, syncRunToJson, type JournalRow } from '../rows.js';
import type { SyncJournalEntry, SyncLease, SyncObjectRecord, SyncStateStore } from '../types.js';

/** Sync state in the SQLite file: rows are JSON documents under plain keys. */
export function sqliteSyncStore(db: Database.Database): SyncStateStore {
  const q = {
    list: db.prepare('SELECT data FROM sync_objects ORDER BY anchor'),
    get: db.prepare('SELECT data FROM sync_objects WHERE anchor = ?'),
    put: db.prepare('INSERT INTO sync_objects (anchor, kind, data) VALUES (?, ?, ?) ON CONFLICT (anchor) DO UPDATE SET kind = excluded.kind, data = excluded.data'),
    del: db.prepare('DELETE FROM sync_objects WHERE anchor = ?'),
    getValue: db.prepare('SELECT value FROM sync_values WHERE key = ?'),
    setValue: db.prepare('INSERT INTO sync_values (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    delValue: db.prepare('DELETE FROM sync_values WHERE key = ?'),
    addIntent: db.prepare('INSERT INTO sync_journal (id, run_id, anchor, op, detail, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    listIntents: db.prepare('SELECT * FROM sync_journal ORDER BY at, id'),
    clearIntent: db.prepare('DELETE FROM sync_journal WHERE id = ?'),
    saveRun: db.prepare('INSERT INTO sync_runs (id, started_at, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data'),
    recentRuns: db.prepare('SELECT data FROM sync_runs ORDER BY started_at DESC, id DESC LIMIT ?'),
    // The upsert's WHERE makes take-if-free-or-ours one statement: SQLite runs it under its write lock.
    acquireLease: db.prepare(`INSERT INTO sync_leases (name, holder, expires_at) VALUES (@name, @holder, @expires)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE sync_leases.holder = excluded.holder OR sync_leases.expires_at <= @now OR sync_leases.holder = @takeOver`),
    getLease: db.prepare('SELECT holder, expires_at FROM sync_leases WHERE name = ?'),
    releaseLease: db.prepare('DELETE FROM sync_leases WHERE name = ? AND holder = ?'),
  };
  const putAll = db.transaction((records: SyncObjectRecord[]) => {
    for (const r of records) q.put.run(r.anchor, r.kind, syncObjectToJson(r));
  });
  const delAll = db.transaction((anchors: string[]) => {
    for (const a of anchors) q.del.run(a);
  });
  const addAll = db.transaction((entries: SyncJournalEntry[]) => {
    for (const e of entries) q.addIntent.run(e.id, e.runId, e.anchor, e.op, JSON.stringify(e.detail), e.at.getTime());
  });
  const clearAll = db.transaction((ids: string[]) => {
    for (const id of ids) q.clearIntent.run(id);
  });

  return {
    async listObjects() {
      return (q.list.all() as { data: string }[]).map((r) => syncObjectFromJson(r.data));
    },
    async getObject(anchor) {
      const row = q.get.get(anchor) as { data: string } | undefined;
      return row && syncObjectFromJson(row.data);
    },
    async putObjects(records) {
      putAll(records);
    },
    async deleteObjects(anchors) {
      delAll(anchors);
    },
    async getValue(key) {
      return (q.getValue.get(key) as { value: string } | undefined)?.value;
    },
    async setValue(key, value) {
      if (value === null) q.delValue.run(key);
      else q.setValue.run(key, value);
    },
    async addIntents(entries) {
      addAll(entries);
    },
    async listIntents() {
      return (q.listIntents.all() as JournalRow[]).map(journalFromRow);
    },
    async clearIntents(ids) {
      clearAll(ids);
    },
    async saveRun(run) {
      q.saveRun.run(run.id, run.startedAt.getTime(), syncRunToJson(run));
    },
    async recentRuns(limit) {
      return (q.recentRuns.all(limit) as { data: string }[]).map((r) => syncRunFromJson(r.data));
    },
    async acquireLease(name, holder, expiresAt, now, takeOverFrom) {
      const result = q.acquireLease.run({ name, holder, expires: expiresAt.getTime(), now: now.getTime(), takeOver: takeOverFrom ?? null });
      return result.changes === 1;
    },
    async getLease(name): Promise<SyncLease | undefined> {
      const row = q.getLease.get(name) as { holder: string; expires_at: number } | undefined;
      return row && { holder: row.holder, expiresAt: new Date(row.expires_at) };
    },
    async releaseLease(name, holder) {
      q.releaseLease.run(name, holder);
    },
  };
}
