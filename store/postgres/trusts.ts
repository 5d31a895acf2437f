import { refreshToJson, trustFromRow, trustValues, type TrustRow } from '../rows.js';
import { upsertTrust } from '../shared-schema.js';
import type { TrustStore } from '../types.js';
import type { Db } from './index.js';

/** Relying-party trusts added from metadata, shared by every node of the farm. */
export function postgresTrustStore(db: Db): TrustStore {
  return {
    async list() {
      return (await db.query<TrustRow>('SELECT * FROM trusts ORDER BY id')).rows.map(trustFromRow);
    },
    async get(id) {
      const row = (await db.query<TrustRow>('SELECT * FROM trusts WHERE id = $1', [id])).rows[0];
      return row && trustFromRow(row);
    },
    async put(t) {
      const r = await db.query<{ version: number }>(upsertTrust(['$1', '$2', '$3', '$4']), trustValues(t));
      return { ...t, version: r.rows[0]!.version };
    },
    async setRefresh(id, refresh) {
      await db.query('UPDATE trusts SET last_refresh = $1 WHERE id = $2', [refreshToJson(refresh), id]);
    },
    async delete(id) {
      return (await db.query('DELETE FROM trusts WHERE id = $1', [id])).rowCount === 1;
    },
  };
}
