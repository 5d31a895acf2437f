/*
 * The account_activity table (AccountActivityStore), the same for SQLite and PostgreSQL but for the
 * name of the time column type, so the two schemas cannot drift apart and `gatehouse store copy`
 * moves its rows as they are.
 */

/** CREATE TABLE account_activity and its expiry index, with the dialect's type for millisecond times. */
export function accountActivityTable(types: { time: 'INTEGER' | 'BIGINT' }): string {
  return `CREATE TABLE account_activity (
     account TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('familiar','failed-familiar','failed-unfamiliar')),
     address TEXT NOT NULL,
     at ${types.time} NOT NULL,
     expires_at ${types.time} NOT NULL,
     PRIMARY KEY (account, kind, address)
   );
   CREATE INDEX account_activity_expiry ON account_activity (expires_at);`;
}

/**
 * Keeps only the newest entries of one account and kind. `param` spells the dialect's placeholder of
 * each value (SQLite @account, PostgreSQL $1).
 */
export function trimActivity(param: (name: 'account' | 'kind' | 'keep') => string): string {
  const [account, kind] = [param('account'), param('kind')];
  return `DELETE FROM account_activity WHERE account = ${account} AND kind = ${kind} AND address NOT IN
     (SELECT address FROM account_activity WHERE account = ${account} AND kind = ${kind} ORDER BY at DESC, address LIMIT ${param('keep')})`;
}
