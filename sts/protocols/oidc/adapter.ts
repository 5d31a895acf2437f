import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OidcRecord, OidcStore } from '../../../store/types.js';
import { providerMetadata, type OidcClients } from './clients.js';

/** A stored record as the provider reads it: a consumed code or refresh token says so (its replay is then refused and its grant revoked). */
function payloadOf(r: OidcRecord | undefined): AdapterPayload | undefined {
  if (!r) return undefined;
  const payload = r.payload as AdapterPayload;
  return r.consumedAt ? { ...payload, consumed: Math.floor(r.consumedAt.getTime() / 1000) } : payload;
}

/**
 * oidc-provider's storage (its Adapter interface) over the Gatehouse store, so codes, tokens,
 * grants, sessions and interactions live where SSO sessions do — SQLite, or the farm's PostgreSQL
 * — and any node answers any step. The `Client` model is read-only: clients come from the config
 * (given to the provider directly) or from `gatehouse client add` (looked up on every request).
 */
export function storeAdapter(store: OidcStore, clients: OidcClients): new (model: string) => Adapter {
  return class StoreAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      if (this.model === 'Client') throw new Error('clients are added with `gatehouse client add`, not registered over HTTP');
      await store.upsert({
        model: this.model,
        id,
        payload: payload as Record<string, unknown>,
        grantId: payload.grantId,
        userCode: payload.userCode,
        uid: payload.uid,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : undefined,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        if (clients.isConfigured(id)) return undefined;
        const client = await clients.find(id);
        return client && (providerMetadata(client) as AdapterPayload);
      }
      return payloadOf(await store.find(this.model, id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return payloadOf(await store.findByUid(this.model, uid));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return payloadOf(await store.findByUserCode(this.model, userCode));
    }

    async consume(id: string): Promise<void> {
      await store.consume(this.model, id, new Date());
    }

    async destroy(id: string): Promise<void> {
      await store.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeByGrantId(grantId);
    }
  };
}
