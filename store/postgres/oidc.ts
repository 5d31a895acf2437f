import { oidcClientFromRow, oidcFromRow, type OidcClientRow, type OidcModelRow } from '../oidc-schema.js';
import { OidcClientConflictError, type OidcClientStore, type OidcStore } from '../types.js';
import type { Db } from './index.js';

/** The OpenID Connect provider's objects and the CLI-added clients in PostgreSQL: the rows of store/sqlite/oidc.ts. */
export function postgresOidcStores(db: Db): { oidc: OidcStore; oidcClients: OidcClientStore } {
  const one = async (column: 'id' | 'uid' | 'user_code', model: string, key: string, now: Date) => {
    const row = (await db.query<OidcModelRow>(`SELECT * FROM oidc_models WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > $3)`, [model, key, now.getTime()])).rows[0];
    return row && oidcFromRow(row);
  };
  return {
    oidc: {
      async upsert(r) {
        await db.query(
          `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
           ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code,
             uid = excluded.uid, expires_at = excluded.expires_at`,
          [r.model, r.id, JSON.stringify(r.payload), r.grantId ?? null, r.userCode ?? null, r.uid ?? null, r.expiresAt?.getTime() ?? null],
        );
      },
      find: (model, id, now = new Date()) => one('id', model, id, now),
      findByUid: (model, uid, now = new Date()) => one('uid', model, uid, now),
      findByUserCode: (model, userCode, now = new Date()) => one('user_code', model, userCode, now),
      async consume(model, id, at) {
        await db.query('UPDATE oidc_models SET consumed_at = COALESCE(consumed_at, $1) WHERE model = $2 AND id = $3', [at.getTime(), model, id]);
      },
      async destroy(model, id) {
        await db.query('DELETE FROM oidc_models WHERE model = $1 AND id = $2', [model, id]);
      },
      async revokeByGrantId(grantId) {
        await db.query('DELETE FROM oidc_models WHERE grant_id = $1', [grantId]);
      },
      async deleteExpired(now) {
        return (await db.query('DELETE FROM oidc_models WHERE expires_at <= $1', [now.getTime()])).rowCount ?? 0;
      },
    },
    oidcClients: {
      async list() {
        return (await db.query<OidcClientRow>('SELECT * FROM oidc_clients ORDER BY client_id')).rows.map(oidcClientFromRow);
      },
      async get(clientId) {
        const row = (await db.query<OidcClientRow>('SELECT * FROM oidc_clients WHERE client_id = $1', [clientId])).rows[0];
        return row && oidcClientFromRow(row);
      },
      async add(c) {
        const r = await db.query('INSERT INTO oidc_clients (client_id, metadata, created_at) VALUES ($1, $2, $3) ON CONFLICT (client_id) DO NOTHING', [c.clientId, JSON.stringify(c.metadata), c.createdAt.getTime()]);
        if (r.rowCount !== 1) throw new OidcClientConflictError(`a client ${c.clientId} is already stored`);
      },
      async remove(clientId) {
        return ((await db.query('DELETE FROM oidc_clients WHERE client_id = $1', [clientId])).rowCount ?? 0) === 1;
      },
    },
  };
}
