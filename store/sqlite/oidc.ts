import type Database from 'better-sqlite3';
import { oidcClientFromRow, oidcFromRow, type OidcClientRow, type OidcModelRow } from '../oidc-schema.js';
import { OidcClientConflictError, type OidcClientStore, type OidcStore } from '../types.js';

/** The OpenID Connect provider's objects and the CLI-added clients in the SQLite file. */
export function sqliteOidcStores(db: Database.Database): { oidc: OidcStore; oidcClients: OidcClientStore } {
  const live = 'AND (expires_at IS NULL OR expires_at > @now)';
  const q = {
    upsert: db.prepare(`INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
      VALUES (@model, @id, @payload, @grantId, @userCode, @uid, @expiresAt, NULL)
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code,
        uid = excluded.uid, expires_at = excluded.expires_at`),
    find: db.prepare(`SELECT * FROM oidc_models WHERE model = @model AND id = @key ${live}`),
    findByUid: db.prepare(`SELECT * FROM oidc_models WHERE model = @model AND uid = @key ${live}`),
    findByUserCode: db.prepare(`SELECT * FROM oidc_models WHERE model = @model AND user_code = @key ${live}`),
    consume: db.prepare('UPDATE oidc_models SET consumed_at = COALESCE(consumed_at, ?) WHERE model = ? AND id = ?'),
    destroy: db.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?'),
    revoke: db.prepare('DELETE FROM oidc_models WHERE grant_id = ?'),
    expire: db.prepare('DELETE FROM oidc_models WHERE expires_at <= ?'),
    clientList: db.prepare('SELECT * FROM oidc_clients ORDER BY client_id'),
    clientGet: db.prepare('SELECT * FROM oidc_clients WHERE client_id = ?'),
    clientAdd: db.prepare('INSERT INTO oidc_clients (client_id, metadata, created_at) VALUES (?, ?, ?) ON CONFLICT (client_id) DO NOTHING'),
    clientRemove: db.prepare('DELETE FROM oidc_clients WHERE client_id = ?'),
  };
  const one = (stmt: Database.Statement, model: string, key: string, now: Date) => {
    const row = stmt.get({ model, key, now: now.getTime() }) as OidcModelRow | undefined;
    return row && oidcFromRow(row);
  };
  return {
    oidc: {
      async upsert(r) {
        q.upsert.run({ model: r.model, id: r.id, payload: JSON.stringify(r.payload), grantId: r.grantId ?? null, userCode: r.userCode ?? null, uid: r.uid ?? null, expiresAt: r.expiresAt?.getTime() ?? null });
      },
      async find(model, id, now = new Date()) {
        return one(q.find, model, id, now);
      },
      async findByUid(model, uid, now = new Date()) {
        return one(q.findByUid, model, uid, now);
      },
      async findByUserCode(model, userCode, now = new Date()) {
        return one(q.findByUserCode, model, userCode, now);
      },
      async consume(model, id, at) {
        q.consume.run(at.getTime(), model, id);
      },
      async destroy(model, id) {
        q.destroy.run(model, id);
      },
      async revokeByGrantId(grantId) {
        q.revoke.run(grantId);
      },
      async deleteExpired(now) {
        return q.expire.run(now.getTime()).changes;
      },
    },
    oidcClients: {
      async list() {
        return (q.clientList.all() as OidcClientRow[]).map(oidcClientFromRow);
      },
      async get(clientId) {
        const row = q.clientGet.get(clientId) as OidcClientRow | undefined;
        return row && oidcClientFromRow(row);
      },
      async add(c) {
        if (q.clientAdd.run(c.clientId, JSON.stringify(c.metadata), c.createdAt.getTime()).changes !== 1) throw new OidcClientConflictError(`a client ${c.clientId} is already stored`);
      },
      async remove(clientId) {
        return q.clientRemove.run(clientId).changes === 1;
      },
    },
  };
}
