import type { AuditSearch } from './types.js';

/*
 * Schema changes written once for SQLite and PostgreSQL, as the keys table (store/key-schema.ts).
 * The trusts table (relying-party trusts added from metadata, TrustStore): the document is JSON
 * text, the refresh outcome its own column so recording one never rewrites the trust another node
 * replaced.
 */

/** CREATE TABLE trusts with the dialect's type for millisecond times and version numbers. */
export function trustsTable(types: { int: 'INTEGER' | 'BIGINT' }): string {
  return `CREATE TABLE trusts (
     id TEXT PRIMARY KEY,
     data TEXT NOT NULL,
     last_refresh TEXT NOT NULL,
     version ${types.int} NOT NULL,
     updated_at ${types.int} NOT NULL
   );`;
}

/** Add or replace in one statement; a replacement counts the version on. Both dialects' placeholders are given by the caller. */
export const upsertTrust = (p: [string, string, string, string]) => `INSERT INTO trusts (id, data, last_refresh, version, updated_at) VALUES (${p[0]}, ${p[1]}, ${p[2]}, 1, ${p[3]})
   ON CONFLICT (id) DO UPDATE SET data = excluded.data, last_refresh = excluded.last_refresh, version = trusts.version + 1, updated_at = excluded.updated_at
   RETURNING version`;

/** `gatehouse audit search --since/--until` and the retention purge read audit events by time. */
export const AUDIT_BY_TIME = 'CREATE INDEX audit_events_at ON audit_events (at, id);';

/**
 * The audit search as one statement for either dialect: `placeholder(n)` is `?` or `$n`, `user`
 * the quoted column name. User names compare case-insensitively (a UPN in any spelling).
 */
export function auditSearchQuery(f: AuditSearch, placeholder: (n: number) => string, user: string): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (v: unknown) => {
    params.push(v);
    return placeholder(params.length);
  };
  if (f.users?.length) where.push(`lower(${user}) IN (${f.users.map((u) => add(u.toLowerCase())).join(', ')})`);
  if (f.types?.length) where.push(`type IN (${f.types.map(add).join(', ')})`);
  if (f.since) where.push(`at >= ${add(f.since.getTime())}`);
  if (f.until) where.push(`at < ${add(f.until.getTime())}`);
  if (f.afterId !== undefined) where.push(`id > ${add(f.afterId)}`);
  return { sql: `SELECT * FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${add(f.limit)}`, params };
}
