import { OidcClientConflictError, type OidcClientRecord, type OidcClientStore, type OidcRecord, type OidcStore } from './types.js';

/** The OpenID Connect stores in process memory, for unit tests: the contract of store/sqlite/oidc.ts. */
export function memoryOidcStores(): { oidc: OidcStore; oidcClients: OidcClientStore } {
  const models = new Map<string, OidcRecord>();
  const clients = new Map<string, OidcClientRecord>();
  const key = (model: string, id: string) => `${model}\u0000${id}`;
  const live = (r: OidcRecord | undefined, now: Date) => (r && (!r.expiresAt || r.expiresAt > now) ? structuredClone(r) : undefined);
  const by = (model: string, field: 'uid' | 'userCode', value: string, now: Date) => live([...models.values()].find((r) => r.model === model && r[field] === value), now);
  return {
    oidc: {
      async upsert(r) {
        const k = key(r.model, r.id);
        models.set(k, { ...structuredClone(r), consumedAt: models.get(k)?.consumedAt });
      },
      async find(model, id, now = new Date()) {
        return live(models.get(key(model, id)), now);
      },
      async findByUid(model, uid, now = new Date()) {
        return by(model, 'uid', uid, now);
      },
      async findByUserCode(model, userCode, now = new Date()) {
        return by(model, 'userCode', userCode, now);
      },
      async consume(model, id, at) {
        const r = models.get(key(model, id));
        if (r) r.consumedAt ??= at;
      },
      async destroy(model, id) {
        models.delete(key(model, id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, r] of models) if (r.grantId === grantId) models.delete(k);
      },
      async deleteExpired(now) {
        let n = 0;
        for (const [k, r] of models) if (r.expiresAt && r.expiresAt <= now && models.delete(k)) n++;
        return n;
      },
    },
    oidcClients: {
      async list() {
        return [...clients.values()].sort((a, b) => a.clientId.localeCompare(b.clientId)).map((c) => structuredClone(c));
      },
      async get(clientId) {
        const c = clients.get(clientId);
        return c && structuredClone(c);
      },
      async add(c) {
        if (clients.has(c.clientId)) throw new OidcClientConflictError(`a client ${c.clientId} is already stored`);
        clients.set(c.clientId, structuredClone(c));
      },
      async remove(clientId) {
        return clients.delete(clientId);
      },
    },
  };
}
