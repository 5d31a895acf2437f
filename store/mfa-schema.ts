import type { TotpEnrolment } from './types.js';

/*
 * The TOTP enrolments table, the same for SQLite and PostgreSQL but for the names of two column
 * types (as store/key-schema.ts does for keys), and its row shape.
 */

/** CREATE TABLE of mfa_totp with the dialect's type for bytes and for integers of 64 bits. */
export function mfaTotpTable(types: { bytes: 'BLOB' | 'BYTEA'; int: 'INTEGER' | 'BIGINT' }): string {
  return `CREATE TABLE mfa_totp (
     user_key TEXT PRIMARY KEY,
     upn TEXT NOT NULL,
     sealed_secret ${types.bytes} NOT NULL,
     last_step ${types.int} NOT NULL,
     created_at ${types.int} NOT NULL
   );
   CREATE INDEX mfa_totp_upn ON mfa_totp (lower(upn));`;
}

export type TotpRow = { user_key: string; upn: string; sealed_secret: Buffer; last_step: number; created_at: number };

export const totpFromRow = (r: TotpRow): TotpEnrolment => ({
  userKey: r.user_key,
  upn: r.upn,
  sealedSecret: Buffer.from(r.sealed_secret),
  lastStep: Number(r.last_step),
  createdAt: new Date(Number(r.created_at)),
});
