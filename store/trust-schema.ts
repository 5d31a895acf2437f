/*
 * The trusts table (relying-party trusts added from metadata, TrustStore), one definition for
 * SQLite and PostgreSQL as the keys table (store/key-schema.ts): the document is JSON text, the
 * refresh outcome its own column so recording one never rewrites the trust another node replaced.
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
