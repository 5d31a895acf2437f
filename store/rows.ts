import type { ActivityEntry, AuditEvent, KeyRecord, SessionRecord, StoredTrust, SyncJournalEntry, SyncObjectRecord, SyncRunRecord, TrustRefresh } from './types.js';

/*
 * The row shapes SQLite and PostgreSQL share (same tables, same columns: times in milliseconds,
 * documents as JSON text), and their conversion to the models of store/types.ts.
 */

export type KeyRow = {
  id: string;
  use: KeyRecord['use'];
  status: KeyRecord['status'];
  origin: KeyRecord['origin'];
  certificate: Buffer;
  sealed_private_key: Buffer;
  not_before: number;
  not_after: number;
  created_at: number;
};
export type AuditRow = {
  id: number;
  at: number;
  type: string;
  outcome: AuditEvent['outcome'];
  user: string | null;
  relying_party: string | null;
  client_ip: string | null;
  reason: string | null;
  details: string | null;
};
export type SessionRow = { id: string; user: string; created_at: number; expires_at: number; data: string };
export type ActivityRow = { account: string; kind: ActivityEntry['kind']; address: string; at: number; expires_at: number };
export type JournalRow = { id: string; run_id: string; anchor: string; op: string; detail: string; at: number };

export const keyFromRow = (r: KeyRow): KeyRecord => ({
  id: r.id,
  use: r.use,
  status: r.status,
  origin: r.origin,
  certificateDer: r.certificate,
  sealedPrivateKey: r.sealed_private_key,
  notBefore: new Date(r.not_before),
  notAfter: new Date(r.not_after),
  createdAt: new Date(r.created_at),
});
export const auditFromRow = (r: AuditRow): AuditEvent => ({
  id: r.id,
  at: new Date(r.at),
  type: r.type,
  outcome: r.outcome,
  user: r.user ?? undefined,
  relyingParty: r.relying_party ?? undefined,
  clientIp: r.client_ip ?? undefined,
  reason: r.reason ?? undefined,
  details: r.details ? (JSON.parse(r.details) as AuditEvent['details']) : undefined,
});
/** The audit row's columns in insert order (at, type, outcome, user, relying_party, client_ip, reason, details). */
export const auditValues = (e: AuditEvent) => [e.at.getTime(), e.type, e.outcome, e.user ?? null, e.relyingParty ?? null, e.clientIp ?? null, e.reason ?? null, e.details ? JSON.stringify(e.details) : null];
export const sessionFromRow = (r: SessionRow): SessionRecord => ({ id: r.id, user: r.user, createdAt: new Date(r.created_at), expiresAt: new Date(r.expires_at), data: JSON.parse(r.data) as Record<string, unknown> });
export const activityFromRow = (r: ActivityRow): ActivityEntry => ({ kind: r.kind, address: r.address, at: new Date(r.at), expiresAt: new Date(r.expires_at) });
export const journalFromRow = (r: JournalRow): SyncJournalEntry => ({ id: r.id, runId: r.run_id, anchor: r.anchor, op: r.op, detail: JSON.parse(r.detail) as Record<string, unknown>, at: new Date(r.at) });

type ObjectJson = Omit<SyncObjectRecord, 'error'> & { error: (Omit<NonNullable<SyncObjectRecord['error']>, 'at'> & { at: number }) | null };
type RunJson = Omit<SyncRunRecord, 'startedAt' | 'finishedAt'> & { startedAt: number; finishedAt: number | null };

export const syncObjectToJson = (r: SyncObjectRecord): string => JSON.stringify({ ...r, error: r.error && { ...r.error, at: r.error.at.getTime() } } satisfies ObjectJson);
export const syncObjectFromJson = (text: string): SyncObjectRecord => {
  const o = JSON.parse(text) as ObjectJson;
  return { ...o, error: o.error && { ...o.error, at: new Date(o.error.at) } };
};
export const syncRunToJson = (run: SyncRunRecord): string => JSON.stringify({ ...run, startedAt: run.startedAt.getTime(), finishedAt: run.finishedAt?.getTime() ?? null } satisfies RunJson);
export const syncRunFromJson = (text: string): SyncRunRecord => {
  const r = JSON.parse(text) as RunJson;
  return { ...r, startedAt: new Date(r.startedAt), finishedAt: r.finishedAt === null ? null : new Date(r.finishedAt) };
};

export type TrustRow = { id: string; data: string; last_refresh: string; version: number; updated_at: number };
type TrustJson = Pick<StoredTrust, 'trust' | 'source' | 'options' | 'metadata'> & { validUntil: number | null };
type RefreshJson = Omit<TrustRefresh, 'at'> & { at: number };

export const refreshToJson = (r: TrustRefresh): string => JSON.stringify({ ...r, at: r.at.getTime() } satisfies RefreshJson);
/** The trusts row's values in insert order (id, data, last_refresh, updated_at); the version is the store's. */
export const trustValues = (t: Omit<StoredTrust, 'version'>): [string, string, string, number] => [
  t.id,
  JSON.stringify({ trust: t.trust, source: t.source, options: t.options, metadata: t.metadata, validUntil: t.validUntil?.getTime() ?? null } satisfies TrustJson),
  refreshToJson(t.lastRefresh),
  t.updatedAt.getTime(),
];
export const trustFromRow = (r: TrustRow): StoredTrust => {
  const d = JSON.parse(r.data) as TrustJson;
  const refresh = JSON.parse(r.last_refresh) as RefreshJson;
  return {
    id: r.id,
    trust: d.trust,
    source: d.source,
    options: d.options,
    metadata: d.metadata,
    validUntil: d.validUntil === null ? undefined : new Date(d.validUntil),
    lastRefresh: { ...refresh, at: new Date(refresh.at) },
    version: r.version,
    updatedAt: new Date(r.updated_at),
  };
};
