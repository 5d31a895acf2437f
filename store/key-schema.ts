/*
 * The keys table, the same for SQLite and PostgreSQL but for the names of two column types, so
 * the two schemas cannot drift apart (and `gatehouse store copy` moves rows as they are).
 */

/** CREATE TABLE of the keys table under `name`, with the dialect's type for bytes and for millisecond times. */
export function keysTable(name: string, types: { bytes: 'BLOB' | 'BYTEA'; time: 'INTEGER' | 'BIGINT' }): string {
  return `CREATE TABLE ${name} (
     id TEXT PRIMARY KEY,
     use TEXT NOT NULL CHECK (use IN ('signing','decrypting')),
     status TEXT NOT NULL CHECK (status IN ('active','next','previous','retired')),
     origin TEXT NOT NULL DEFAULT 'generated' CHECK (origin IN ('generated','imported')),
     certificate ${types.bytes} NOT NULL,
     sealed_private_key ${types.bytes} NOT NULL,
     not_before ${types.time} NOT NULL,
     not_after ${types.time} NOT NULL,
     created_at ${types.time} NOT NULL
   );`;
}

/** One active and one next key per use, whatever two writers do at once (keys/lifecycle.ts). */
export const ONE_ACTIVE_ONE_NEXT = `CREATE UNIQUE INDEX keys_one_active ON keys (use) WHERE status = 'active';
   CREATE UNIQUE INDEX keys_one_next ON keys (use) WHERE status = 'next';`;
