/*
 * The OpenID Connect provider's tables, the same for SQLite and PostgreSQL but for the type of
 * millisecond times, so the two schemas cannot drift apart (and `gatehouse store copy` moves rows
 * as they are). Payloads are the provider's JSON documents.
 */

export function oidcTables(time: 'INTEGER' | 'BIGINT'): string {
  return `CREATE TABLE oidc_models (
     model TEXT NOT NULL,
     id TEXT NOT NULL,
     payload TEXT NOT NULL,
     grant_id TEXT,
     user_code TEXT,
     uid TEXT,
     expires_at ${time},
     consumed_at ${time},
     PRIMARY KEY (model, id)
   );
   CREATE INDEX oidc_models_grant ON oidc_models (grant_id);
   CREATE INDEX oidc_models_user_code ON oidc_models (model, user_code);
   CREATE INDEX oidc_models_uid ON oidc_models (model, uid);
   CREATE INDEX oidc_models_expiry ON oidc_models (expires_at);
   CREATE TABLE oidc_clients (
     client_id TEXT PRIMARY KEY,
     metadata TEXT NOT NULL,
     created_at ${time} NOT NULL
   );`;
}

export type OidcModelRow = {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: number | null;
  consumed_at: number | null;
};
export type OidcClientRow = { client_id: string; metadata: string; created_at: number };

export const oidcFromRow = (r: OidcModelRow) => ({
  model: r.model,
  id: r.id,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  grantId: r.grant_id ?? undefined,
  userCode: r.user_code ?? undefined,
  uid: r.uid ?? undefined,
  expiresAt: r.expires_at === null ? undefined : new Date(r.expires_at),
  consumedAt: r.consumed_at === null ? undefined : new Date(r.consumed_at),
});

export const oidcClientFromRow = (r: OidcClientRow) => ({ clientId: r.client_id, metadata: JSON.parse(r.metadata) as Record<string, unknown>, createdAt: new Date(r.created_at) });
