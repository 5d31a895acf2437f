import { totpFromRow, type TotpRow } from '../mfa-schema.js';
import type { MfaStore } from '../types.js';
import type { Db } from './index.js';

/** TOTP enrolments in PostgreSQL: the rows of store/sqlite/mfa.ts. */
export function postgresMfaStore(db: Db): MfaStore {
  return {
    async getTotp(userKey) {
      const row = (await db.query<TotpRow>('SELECT * FROM mfa_totp WHERE user_key = $1', [userKey])).rows[0];
      return row && totpFromRow(row);
    },
    async findTotpByUpn(upn) {
      const row = (await db.query<TotpRow>('SELECT * FROM mfa_totp WHERE lower(upn) = lower($1)', [upn])).rows[0];
      return row && totpFromRow(row);
    },
    async addTotp(e) {
      const r = await db.query('INSERT INTO mfa_totp (user_key, upn, sealed_secret, last_step, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_key) DO NOTHING', [e.userKey, e.upn, e.sealedSecret, e.lastStep, e.createdAt.getTime()]);
      return r.rowCount === 1;
    },
    async useTotpStep(userKey, step) {
      // The row lock of the UPDATE orders two nodes accepting the same code: the second matches no row.
      return (await db.query('UPDATE mfa_totp SET last_step = $1 WHERE user_key = $2 AND last_step < $1', [step, userKey])).rowCount === 1;
    },
    async deleteTotp(userKey) {
      return (await db.query('DELETE FROM mfa_totp WHERE user_key = $1', [userKey])).rowCount === 1;
    },
    async listTotp() {
      return (await db.query<TotpRow>('SELECT * FROM mfa_totp ORDER BY lower(upn), user_key')).rows.map(totpFromRow);
    },
    async resealTotp(changes) {
      await db.transaction(async (c) => {
        for (const ch of changes) {
          if ((await c.query('UPDATE mfa_totp SET sealed_secret = $1 WHERE user_key = $2', [ch.sealedSecret, ch.userKey])).rowCount !== 1) throw new Error(`no TOTP enrolment ${ch.userKey}`);
        }
      });
    },
  };
}
