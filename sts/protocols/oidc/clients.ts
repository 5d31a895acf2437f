import { z } from 'zod';
import type { Config } from '../../../config/load.js';
import { oidcClient } from '../../../config/schema.js';
import type { SealedValues } from '../../../keys/sealing.js';
import { OidcClientConflictError, type OidcClientStore } from '../../../store/types.js';
import type { RelyingPartyTrust } from '../../trusts/trust.js';

/** One client with its secret resolved, from the config or the store. */
export type OidcClient = Config['oidc']['clients'][number];

/** Names that are Gatehouse's and not RFC 7591's: kept from the provider, which would not know them. */
const GATEHOUSE_FIELDS = ['claims', 'subject', 'resources'] as const;

/** The purpose stored client secrets are sealed under (keys/sealing.ts deriveKey). */
export const OIDC_CLIENT_SECRETS = 'oidc client secrets';

/** Where a stored client keeps its secret, sealed. */
const SEALED_SECRET = 'gatehouse_sealed_client_secret';

/** A client definition refused, with what is wrong in one line (the CLI prints it, exit 2). */
export class InvalidClient extends Error {}

const storedClient = oidcClient.extend({ client_secret: z.string().min(1).optional() });

/**
 * RFC 7591 metadata as `gatehouse client add --file` reads it: the schema of `oidc.clients`, an
 * inline secret only (the store keeps what it is given), and the rules a client must meet to be
 * safe: a secret long enough to resist guessing, keys for private_key_jwt, PKCE for public clients.
 */
export function parseClient(input: unknown): OidcClient {
  const parsed = storedClient.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidClient(`${issue.path.join('.') || 'client'}: ${issue.message}`);
  }
  checkClient(parsed.data);
  return parsed.data;
}

/** The rules every client meets, from the config as from the CLI. */
export function checkClient(c: OidcClient): void {
  const method = authMethod(c);
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && (c.client_secret ?? '').length < 32) {
    throw new InvalidClient(`${c.client_id}: ${method} needs a client_secret of at least 32 characters`);
  }
  if (method === 'private_key_jwt' && !c.jwks && !c.jwks_uri) throw new InvalidClient(`${c.client_id}: private_key_jwt needs jwks or jwks_uri (the client's public keys)`);
  if (method === 'none' && c.client_secret) throw new InvalidClient(`${c.client_id}: a public client (token_endpoint_auth_method none) has no secret`);
  if (c.grant_types.includes('authorization_code') && c.redirect_uris.length === 0) throw new InvalidClient(`${c.client_id}: the authorization code grant needs redirect_uris`);
}

export function authMethod(c: OidcClient): NonNullable<OidcClient['token_endpoint_auth_method']> {
  return c.token_endpoint_auth_method ?? (c.client_secret ? 'client_secret_basic' : 'none');
}

/** What oidc-provider is given: the RFC 7591 metadata without Gatehouse's own fields. */
export function providerMetadata(c: OidcClient): Record<string, unknown> {
  // AD FS's ID tokens always carry auth_time (Entra and MSAL read it for sign-in frequency).
  const out: Record<string, unknown> = { require_auth_time: true, ...c, token_endpoint_auth_method: authMethod(c) };
  // The provider turns the account id (objectGUID) into another `sub` only for a pairwise client (sts/protocols/oidc/provider.ts pairwiseIdentifier).
  if (c.subject === 'immutableId') out.subject_type = 'pairwise';
  for (const f of GATEHOUSE_FIELDS) delete out[f];
  if (out.client_secret === undefined) delete out.client_secret;
  // A device-grant-only client (a CLI) has no browser redirect: no response types, no redirect URIs (RFC 7591 §2.1).
  if (!c.grant_types.includes('authorization_code')) {
    out.response_types = [];
    out.redirect_uris = [];
  }
  return out;
}

/**
 * A client as the claim rules see a relying party (sts/trusts/trust.ts): the same `claims`
 * mappings a WS-Federation or SAML trust has, so one rule engine issues every protocol's claims.
 */
export function clientTrust(c: OidcClient, tokenLifetimeMinutes: number): RelyingPartyTrust {
  return {
    identifier: c.client_id,
    name: c.client_name ?? c.client_id,
    replyUrls: c.redirect_uris,
    ruleSet: 'mapped',
    nameIdAttribute: c.subject,
    claims: c.claims,
    tokenLifetimeMinutes,
    signatureAlgorithm: 'rsa-sha256',
    allowWsTrust: false,
    allowWsTrustFromExtranet: false,
    signOutUrl: c.frontchannel_logout_uri ?? c.post_logout_redirect_uris[0] ?? c.redirect_uris[0] ?? '',
  };
}

/**
 * Every client: those of the config, then those `gatehouse client add` stored. The store is read
 * on every lookup, so a client added or removed on any node counts on every node at its next request.
 */
export class OidcClients {
  private readonly configured: Map<string, OidcClient>;

  constructor(
    configured: OidcClient[],
    private readonly store: OidcClientStore,
    /** Seals stored client secrets (keys/sealing.ts, under keys.keyEncryptionKey): the store never holds one in clear. */
    private readonly secrets: SealedValues,
  ) {
    this.configured = new Map();
    for (const c of configured) {
      checkClient(c);
      if (this.configured.has(c.client_id)) throw new InvalidClient(`two oidc.clients have the client_id ${c.client_id}`);
      this.configured.set(c.client_id, c);
    }
  }

  configuredClients(): OidcClient[] {
    return [...this.configured.values()];
  }

  isConfigured(clientId: string): boolean {
    return this.configured.has(clientId);
  }

  /** Every client, where it comes from, and when a stored one was added. */
  async all(): Promise<{ client: OidcClient; source: 'config' | 'store'; addedAt?: Date }[]> {
    const stored = (await this.store.list()).flatMap((r) => {
      const client = this.fromRecord(r.clientId, r.metadata);
      return client ? [{ client, source: 'store' as const, addedAt: r.createdAt }] : [];
    });
    return [...this.configuredClients().map((client) => ({ client, source: 'config' as const })), ...stored];
  }

  /** `gatehouse client add`: RFC 7591 metadata checked, stored, used by every node at its next request. */
  async add(metadata: unknown, now = new Date()): Promise<OidcClient> {
    const client = parseClient(metadata);
    if (this.configured.has(client.client_id)) throw new InvalidClient(`${client.client_id} is defined in oidc.clients of the config`);
    try {
      const { client_secret: secret, ...rest } = client;
      const metadata = secret ? { ...rest, [SEALED_SECRET]: this.secrets.seal({ client_id: client.client_id, secret }) } : rest;
      await this.store.add({ clientId: client.client_id, metadata, createdAt: now });
    } catch (err) {
      if (err instanceof OidcClientConflictError) throw new InvalidClient(`a client ${client.client_id} is already stored; remove it first`);
      throw err;
    }
    return client;
  }

  /** `gatehouse client remove`: false when no stored client has the id (config clients are removed from the config). */
  async remove(clientId: string): Promise<boolean> {
    if (this.configured.has(clientId)) throw new InvalidClient(`${clientId} is defined in oidc.clients of the config: remove it there`);
    return this.store.remove(clientId);
  }

  async find(clientId: string): Promise<OidcClient | undefined> {
    const own = this.configured.get(clientId);
    if (own) return own;
    const stored = await this.store.get(clientId);
    return stored && this.fromRecord(stored.clientId, stored.metadata);
  }

  /** A stored record as a client, its secret unsealed; one that no longer fits (edited by hand, another version, another key) is no client. */
  private fromRecord(clientId: string, metadata: Record<string, unknown>): OidcClient | undefined {
    const { [SEALED_SECRET]: sealed, ...rest } = metadata;
    const opened = typeof sealed === 'string' ? this.secrets.open<{ client_id?: unknown; secret?: unknown }>(sealed) : undefined;
    // Bound to its client: a sealed secret copied onto another record does not open for it.
    if (sealed !== undefined && (opened?.client_id !== clientId || typeof opened.secret !== 'string')) return undefined;
    try {
      return parseClient({ ...rest, ...(opened ? { client_secret: opened.secret } : {}) });
    } catch {
      return undefined;
    }
  }
}
