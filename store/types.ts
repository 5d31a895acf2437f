/*
 * One interface per stored model (ARCHITECTURE.md "State"). Adapters: memory (unit tests),
 * SQLite (embedded default); PostgreSQL implements the same for farms, so nothing here is SQL.
 */

export type AuditOutcome = 'success' | 'failure';

/** What happened, to whom, from where — never a password or a token. */
export interface AuditEvent {
  id?: number;
  at: Date;
  type: string; // e.g. 'signin', 'signout', 'key.generated', 'request.rejected'
  outcome: AuditOutcome;
  user?: string | undefined;
  relyingParty?: string | undefined;
  clientIp?: string | undefined;
  reason?: string | undefined;
  details?: Record<string, string | number | boolean> | undefined;
}

export interface AuditStore {
  append(event: AuditEvent): Promise<void>;
  /** Newest first. */
  recent(limit: number, filter?: { type?: string; user?: string }): Promise<AuditEvent[]>;
}

export type KeyUse = 'signing' | 'decrypting';
export type KeyStatus = 'active' | 'next' | 'retired';

/** A certificate and its private key, the key sealed by keys/keystore.ts before it gets here. */
export interface KeyRecord {
  id: string; // SHA-1 thumbprint, hex upper-case
  use: KeyUse;
  status: KeyStatus;
  certificateDer: Buffer;
  sealedPrivateKey: Buffer;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
}

export interface KeyStore {
  list(use?: KeyUse): Promise<KeyRecord[]>;
  get(id: string): Promise<KeyRecord | undefined>;
  put(record: KeyRecord): Promise<void>;
  setStatus(id: string, status: KeyStatus): Promise<void>;
}

/** Server side of an SSO session: lets sign-out and revocation end a cookie that is still valid. */
export interface SessionRecord {
  id: string;
  user: string;
  createdAt: Date;
  expiresAt: Date;
  data: Record<string, unknown>;
}

export interface SessionStore {
  create(record: SessionRecord): Promise<void>;
  get(id: string, now?: Date): Promise<SessionRecord | undefined>;
  update(id: string, data: Record<string, unknown>): Promise<void>;
  delete(id: string): Promise<void>;
  deleteExpired(now: Date): Promise<number>;
}

/** Windowed counters (lockout, spray protection) and one-time markers (replay caches). */
export interface CounterStore {
  /** Adds `by` to the counter and returns the new value; the window restarts once it has expired. */
  increment(key: string, windowMs: number, by?: number, now?: Date): Promise<number>;
  get(key: string, now?: Date): Promise<number>;
  reset(key: string): Promise<void>;
  /** True the first time a key is seen before `expiresAt`; false for a replay. */
  useOnce(key: string, expiresAt: Date, now?: Date): Promise<boolean>;
}

export interface Store {
  audit: AuditStore;
  keys: KeyStore;
  sessions: SessionStore;
  counters: CounterStore;
  close(): Promise<void>;
}
