import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { trimActivity } from '../activity-schema.js';
import { activityFromRow, auditFromRow, auditValues, keyFromRow, sessionFromRow, type ActivityRow, type AuditRow, type KeyRow, type SessionRow } from '../rows.js';
import { KeyConflictError, type Store } from '../types.js';
import { sqliteMfaStore } from './mfa.js';
import { auditSearchQuery } from '../shared-schema.js';
import { migrate } from './migrations.js';
import { sqliteOidcStores } from './oidc.js';
import { sqliteSyncStore } from './sync.js';
import { sqliteTrustStore } from './trusts.js';

/** The unique indexes keys_one_active / keys_one_next (migration 5) refused a second active or next key of a use. */
function uniqueKeyState<T>(k: { id: string; status: string }, write: () => T): T {
  try {
    return write();
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new KeyConflictError(`another key of the use of ${k.id} is already ${k.status}`);
    throw err;
  }
}

/** The embedded store: one SQLite file in WAL mode (readers never wait for the writer). */
export function sqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const q = {
    auditInsert: db.prepare(
      'INSERT INTO audit_events (at, type, outcome, user, relying_party, client_ip, reason, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    auditRecent: db.prepare(
      'SELECT * FROM audit_events WHERE (@type IS NULL OR type = @type) AND (@user IS NULL OR user = @user) ORDER BY id DESC LIMIT @limit',
    ),
    auditExpire: db.prepare('DELETE FROM audit_events WHERE at < ?'),
    keyList: db.prepare('SELECT * FROM keys WHERE (@use IS NULL OR use = @use) ORDER BY created_at, id'),
    keyGet: db.prepare('SELECT * FROM keys WHERE id = ?'),
    keyPut: db.prepare(
      `INSERT INTO keys (id, use, status, origin, certificate, sealed_private_key, not_before, not_after, created_at)
       VALUES (@id, @use, @status, @origin, @certificate, @sealed_private_key, @not_before, @not_after, @created_at)`,
    ),
    keyStatus: db.prepare('UPDATE keys SET status = ? WHERE id = ?'),
    keyStatusIf: db.prepare('UPDATE keys SET status = ? WHERE id = ? AND status = ?'),
    keySealed: db.prepare('UPDATE keys SET sealed_private_key = ? WHERE id = ?'),
    sessionInsert: db.prepare('INSERT INTO sessions (id, user, created_at, expires_at, data) VALUES (?, ?, ?, ?, ?)'),
    sessionGet: db.prepare('SELECT * FROM sessions WHERE id = ? AND expires_at > ?'),
    sessionUpdate: db.prepare('UPDATE sessions SET data = ? WHERE id = ?'),
    sessionDelete: db.prepare('DELETE FROM sessions WHERE id = ?'),
    sessionExpire: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    sessionCount: db.prepare('SELECT count(*) AS n FROM sessions WHERE expires_at > ?'),
    counterGet: db.prepare('SELECT value FROM counters WHERE key = ? AND expires_at > ?'),
    counterUpsert: db.prepare(
      `INSERT INTO counters (key, value, expires_at) VALUES (@key, @by, @expires)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN counters.expires_at > @now THEN counters.value + @by ELSE @by END,
         expires_at = CASE WHEN counters.expires_at > @now THEN counters.expires_at ELSE @expires END
       RETURNING value`,
    ),
    counterDelete: db.prepare('DELETE FROM counters WHERE key = ?'),
    counterExpire: db.prepare('DELETE FROM counters WHERE expires_at <= ?'),
    activityList: db.prepare('SELECT * FROM account_activity WHERE account = ? AND expires_at > ? ORDER BY at DESC, address'),
    activityPut: db.prepare(
      `INSERT INTO account_activity (account, kind, address, at, expires_at) VALUES (@account, @kind, @address, @at, @expires)
       ON CONFLICT (account, kind, address) DO UPDATE SET at = excluded.at, expires_at = excluded.expires_at`,
    ),
    activityTrim: db.prepare(trimActivity((name) => `@${name}`)),
    activityRemove: db.prepare('DELETE FROM account_activity WHERE account = ? AND (? IS NULL OR kind IN (SELECT value FROM json_each(?)))'),
    activityExpire: db.prepare('DELETE FROM account_activity WHERE expires_at <= ?'),
    onceInsert: db.prepare(
      `INSERT INTO counters (key, value, expires_at) VALUES (@key, 1, @expires)
       ON CONFLICT (key) DO UPDATE SET value = 1, expires_at = @expires WHERE counters.expires_at <= @now`,
    ),
  };

  // One commit for a batch: with WAL each commit is a write of its own.
  const auditInsertAll = db.transaction((events: Parameters<Store['audit']['append']>[0][]) => {
    for (const e of events) q.auditInsert.run(...auditValues(e));
  });

  return {
    audit: {
      async append(e) {
        q.auditInsert.run(...auditValues(e));
      },
      async appendAll(events) {
        auditInsertAll(events);
      },
      async recent(limit, filter) {
        return (q.auditRecent.all({ type: filter?.type ?? null, user: filter?.user ?? null, limit }) as AuditRow[]).map(auditFromRow);
      },
      async search(filter) {
        const { sql, params } = auditSearchQuery(filter, () => '?', 'user');
        return (db.prepare(sql).all(...params) as AuditRow[]).map(auditFromRow);
      },
      async deleteBefore(before) {
        return q.auditExpire.run(before.getTime()).changes;
      },
    },
    keys: {
      async list(use) {
        return (q.keyList.all({ use: use ?? null }) as KeyRow[]).map(keyFromRow);
      },
      async get(id) {
        const row = q.keyGet.get(id) as KeyRow | undefined;
        return row && keyFromRow(row);
      },
      async put(k) {
        if (q.keyGet.get(k.id)) throw new KeyConflictError(`key ${k.id} is already stored`);
        uniqueKeyState(k, () => q.keyPut.run({
          id: k.id,
          use: k.use,
          status: k.status,
          origin: k.origin,
          certificate: k.certificateDer,
          sealed_private_key: k.sealedPrivateKey,
          not_before: k.notBefore.getTime(),
          not_after: k.notAfter.getTime(),
          created_at: k.createdAt.getTime(),
        }));
      },
      async setStatus(id, status) {
        if (uniqueKeyState({ id, status }, () => q.keyStatus.run(status, id)).changes !== 1) throw new Error(`no key ${id}`);
      },
      async update(changes) {
        db.transaction(() => {
          for (const c of changes) {
            if (c.status !== undefined) {
              const status = c.status;
              const done = uniqueKeyState({ id: c.id, status }, () => (c.expect === undefined ? q.keyStatus.run(status, c.id) : q.keyStatusIf.run(status, c.id, c.expect)));
              if (done.changes !== 1) throw c.expect !== undefined && q.keyGet.get(c.id) ? new KeyConflictError(`key ${c.id} is no longer ${c.expect}`) : new Error(`no key ${c.id}`);
            }
            if (c.sealedPrivateKey !== undefined && q.keySealed.run(c.sealedPrivateKey, c.id).changes !== 1) throw new Error(`no key ${c.id}`);
          }
        })();
      },
    },
    sessions: {
      async create(s) {
        q.sessionInsert.run(s.id, s.user, s.createdAt.getTime(), s.expiresAt.getTime(), JSON.stringify(s.data));
      },
      async get(id, now = new Date()) {
        const r = q.sessionGet.get(id, now.getTime()) as SessionRow | undefined;
        return r && sessionFromRow(r);
      },
      async update(id, data) {
        q.sessionUpdate.run(JSON.stringify(data), id);
      },
      async delete(id) {
        q.sessionDelete.run(id);
      },
      async deleteExpired(now) {
        return q.sessionExpire.run(now.getTime()).changes;
      },
      async countActive(now) {
        return (q.sessionCount.get(now.getTime()) as { n: number }).n;
      },
    },
    counters: {
      async increment(key, windowMs, by = 1, now = new Date()) {
        const t = now.getTime();
        return (q.counterUpsert.get({ key, by, now: t, expires: t + windowMs }) as { value: number }).value;
      },
      async get(key, now = new Date()) {
        return (q.counterGet.get(key, now.getTime()) as { value: number } | undefined)?.value ?? 0;
      },
      async reset(key) {
        q.counterDelete.run(key);
      },
      async useOnce(key, expiresAt, now = new Date()) {
        return q.onceInsert.run({ key, expires: expiresAt.getTime(), now: now.getTime() }).changes === 1;
      },
      async deleteExpired(now) {
        return q.counterExpire.run(now.getTime()).changes;
      },
    },
    activity: {
      async list(account, now = new Date()) {
        return (q.activityList.all(account, now.getTime()) as ActivityRow[]).map(activityFromRow);
      },
      async put(account, e, keep) {
        db.transaction(() => {
          q.activityPut.run({ account, kind: e.kind, address: e.address, at: e.at.getTime(), expires: e.expiresAt.getTime() });
          if (keep !== undefined) q.activityTrim.run({ account, kind: e.kind, keep });
        })();
      },
      async remove(account, kinds) {
        const list = kinds ? JSON.stringify(kinds) : null;
        q.activityRemove.run(account, list, list);
      },
      async deleteExpired(now) {
        return q.activityExpire.run(now.getTime()).changes;
      },
    },
    sync: sqliteSyncStore(db),
    mfa: sqliteMfaStore(db),
    ...sqliteOidcStores(db),
    trusts: sqliteTrustStore(db),
    async close() {
      db.close();
    },
  };
}
