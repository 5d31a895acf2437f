import type Database from 'better-sqlite3';
import { refreshToJson, trustFromRow, trustValues, type TrustRow } from '../rows.js';
import { upsertTrust } from '../shared-schema.js';
import type { TrustStore } from '../types.js';

/** Relying-party trusts added from metadata, in the SQLite file. */
export function sqliteTrustStore(db: Database.Database): TrustStore {
  const q = {
    list: db.prepare('SELECT * FROM trusts ORDER BY id'),
    get: db.prepare('SELECT * FROM trusts WHERE id = ?'),
    put: db.prepare(upsertTrust(['?', '?', '?', '?'])),
    setRefresh: db.prepare('UPDATE trusts SET last_refresh = ? WHERE id = ?'),
    del: db.prepare('DELETE FROM trusts WHERE id = ?'),
  };
  return {
    async list() {
      return (q.list.all() as TrustRow[]).map(trustFromRow);
    },
    async get(id) {
      const row = q.get.get(id) as TrustRow | undefined;
      return row && trustFromRow(row);
    },
    async put(t) {
      const { version } = q.put.get(...trustValues(t)) as { version: number };
      return { ...t, version };
    },
    async setRefresh(id, refresh) {
      q.setRefresh.run(refreshToJson(refresh), id);
    },
    async delete(id) {
      return q.del.run(id).changes === 1;
    },
  };
}
