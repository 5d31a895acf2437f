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

export type SyncObjectKind = 'user' | 'group';

/** A per-object export failure (e.g. a UPN conflict), kept until a later run succeeds. */
export interface SyncObjectError {
  op: string;
  message: string;
  at: Date;
  attempts: number;
}

/**
 * One AD object as the sync engine knows it: what the source wants in Entra and what was last
 * written there. `exported` null means "never written, or unknown after a crash" — the
 * next run compares against Entra again instead of trusting it.
 */
export interface SyncObjectRecord {
  /** ImmutableID: base64 of ms-DS-ConsistencyGuid or objectGUID (ENTRA.md §7.1). */
  anchor: string;
  kind: SyncObjectKind;
  /** objectGUID string: group members are resolved through it, so renames keep memberships. */
  objectGuid: string;
  dn: string;
  /** Entra attributes the source wants; null once the object left the source (deleted or out of scope). */
  desired: Record<string, unknown> | null;
  /** objectGUIDs of direct members (groups only). */
  memberGuids: string[];
  entraId: string | null;
  exported: Record<string, unknown> | null;
  /** Anchors of the members last written to Entra (groups only). */
  exportedMembers: string[];
  /** The Entra object is soft-deleted (in deletedItems, restorable for 30 days, ENTRA.md §8.4). */
  entraDeleted: boolean;
  error: SyncObjectError | null;
}

/** What a run is about to write, recorded before the write so a crashed run can be reconciled. */
export interface SyncJournalEntry {
  id: string;
  runId: string;
  anchor: string;
  op: string;
  detail: Record<string, unknown>;
  at: Date;
}

export type SyncRunOutcome = 'running' | 'success' | 'partial' | 'stopped' | 'staged' | 'failed';

export interface SyncRunRecord {
  id: string;
  mode: 'full' | 'delta';
  startedAt: Date;
  finishedAt: Date | null;
  outcome: SyncRunOutcome;
  counts: Record<string, number>;
  message?: string | undefined;
}

/** Who holds a named lease and until when (one sync at a time per store). */
export interface SyncLease {
  holder: string;
  expiresAt: Date;
}

export interface SyncStateStore {
  listObjects(): Promise<SyncObjectRecord[]>;
  getObject(anchor: string): Promise<SyncObjectRecord | undefined>;
  /** Writes all records in one transaction: a crash leaves all or none. */
  putObjects(records: SyncObjectRecord[]): Promise<void>;
  deleteObjects(anchors: string[]): Promise<void>;
  /** Small named values: the DirSync cookie, the last import mode. */
  getValue(key: string): Promise<string | undefined>;
  setValue(key: string, value: string | null): Promise<void>;
  /** An id already in the journal keeps its first entry. */
  addIntents(entries: SyncJournalEntry[]): Promise<void>;
  listIntents(): Promise<SyncJournalEntry[]>;
  clearIntents(ids: string[]): Promise<void>;
  saveRun(run: SyncRunRecord): Promise<void>;
  /** Newest first. */
  recentRuns(limit: number): Promise<SyncRunRecord[]>;
  /**
   * One atomic step, safe across processes sharing the store: takes the lease (until `expiresAt`)
   * when it is free, expired at `now`, already held by `holder` (a renewal) or held by exactly
   * `takeOverFrom`; true when `holder` now holds it.
   */
  acquireLease(name: string, holder: string, expiresAt: Date, now: Date, takeOverFrom?: string): Promise<boolean>;
  getLease(name: string): Promise<SyncLease | undefined>;
  /** Gives the lease up if `holder` still holds it. */
  releaseLease(name: string, holder: string): Promise<void>;
}

export interface Store {
  audit: AuditStore;
  keys: KeyStore;
  sessions: SessionStore;
  counters: CounterStore;
  sync: SyncStateStore;
  close(): Promise<void>;
}
