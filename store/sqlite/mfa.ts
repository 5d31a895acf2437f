import type Database from 'better-sqlite3';
import { totpFromRow, type TotpRow } from '../mfa-schema.js';
import type { MfaStore } from '../types.js';

/** TOTP enrolments in the SQLite file. */
export function sqliteMfaStore(db: Database.Database): MfaStore {
  const q = {
    get: db.prepare('SELECT * FROM mfa_totp WHERE user_key = ?'),
    byUpn: db.prepare('SELECT * FROM mfa_totp WHERE lower(upn) = lower(?)'),
    add: db.prepare('INSERT INTO mfa_totp (user_key, upn, sealed_secret, last_step, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_key) DO NOTHING'),
    use: db.prepare('UPDATE mfa_totp SET last_step = ? WHERE user_key = ? AND last_step < ?'),
    del: db.prepare('DELETE FROM mfa_totp WHERE user_key = ?'),
    list: db.prepare('SELECT * FROM mfa_totp ORDER BY lower(upn), user_key'),
    reseal: db.prepare('UPDATE mfa_totp SET sealed_secret = ? WHERE user_key = ?'),
  };
  const resealAll = db.transaction((changes: { userKey: string; sealedSecret: Buffer }[]) => {
    for (const c of changes) if (q.reseal.run(c.sealedSecret, c.userKey).changes !== 1) throw new Error(`no TOTP enrolment ${c.userKey}`);
  });
  return {
    async getTotp(userKey) {
      const row = q.get.get(userKey) as TotpRow | undefined;
      return row && totpFromRow(row);
    },
    async findTotpByUpn(upn) {
      const row = q.byUpn.get(upn) as TotpRow | undefined;
      return row && totpFromRow(row);
    },
    async addTotp(e) {
      return q.add.run(e.userKey, e.upn, e.sealedSecret, e.lastStep, e.createdAt.getTime()).changes === 1;
    },
    async useTotpStep(userKey, step) {
      return q.use.run(step, userKey, step).changes === 1;
    },
    async deleteTotp(userKey) {
      return q.del.run(userKey).changes === 1;
    },
    async listTotp() {
      return (q.list.all() as TotpRow[]).map(totpFromRow);
    },
    async resealTotp(changes) {
      resealAll(changes);
    },
  };
}
