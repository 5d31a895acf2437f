import pg from 'pg';
import { trimActivity } from '../activity-schema.js';
import { activityFromRow, auditFromRow, auditValues, keyFromRow, sessionFromRow, type ActivityRow, type AuditRow, type KeyRow, type SessionRow } from '../rows.js';
import { KeyConflictError, StoreUnavailableError, type Store } from '../types.js';
import { auditSearchQuery } from '../shared-schema.js';
import { migrate, schemaVersion } from './migrations.js';
import { postgresMfaStore } from './mfa.js';
import { postgresOidcStores } from './oidc.js';
import { postgresSyncStore } from './sync.js';
import { postgresTrustStore } from './trusts.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /** Apply missing migrations on first use; otherwise a schema behind this Gatehouse is refused. */
  migrate: boolean;
}

// BIGINT (oid 20) arrives as text by default; our BIGINTs are milliseconds and counters, far below 2^53.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')),
};

/*
 * SQLSTATE classes that mean "the database cannot answer now" rather than "this request is wrong":
 * 08 connection exception, 53 insufficient resources, 57P01-03 shutdown / cannot connect now, 57014
 * statement timeout (PostgreSQL Appendix A).
 */
const outage = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (/^(08|53)/.test(code) || ['57P01', '57P02', '57P03', '57014'].includes(code))) return true;
  if (typeof code === 'string' && /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NOTFOUND)$/.test(code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test((err as Error).message ?? '');
};

/** An outage as StoreUnavailableError, anything else as it is. */
export function unavailable(err: unknown): never {
  throw outage(err) ? new StoreUnavailableError(err as Error) : err;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/** The unique indexes keys_one_active / keys_one_next refused a second active or next key of a use (SQLSTATE 23505). */
async function uniqueKeyState<T>(k: { id: string; status: string }, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new KeyConflictError(`another key of the use of ${k.id} is already ${k.status}`);
    throw err;
  }
}

/** Runs statements on the pool, each transaction on one client; outages become StoreUnavailableError. */
export interface Db {
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  transaction<T>(fn: (client: Queryable) => Promise<T>): Promise<T>;
}

/**
 * The farm store: every node of a farm on one PostgreSQL database. Every write that must be atomic
 * is one statement (counters, replay cache, leases) or one transaction (key changes, sync batches).
 * The schema is checked (or migrated, `migrate`) before the first statement, not at construction,
 * so opening stays synchronous like SQLite's and a database still starting is retried on next use.
 */
export function postgresStore(opts: PostgresOptions): Store & { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    statement_timeout: opts.statementTimeoutMs,
    // The client-side bound too: a server that stops answering mid-statement does not hang a request.
    query_timeout: opts.statementTimeoutMs + opts.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    types,
  });
  // An idle client whose server went away emits here; without a listener node would exit. The next
  // statement gets a fresh connection or its own error.
  pool.on('error', () => undefined);

  let ready: Promise<void> | undefined;
  const prepare = async () => {
    if (opts.migrate) {
      await migrate(pool);
      return;
    }
    const { version, latest } = await schemaVersion(pool);
    if (version !== latest) throw new Error(`PostgreSQL store schema is version ${version}, this Gatehouse needs ${latest}: run gatehouse store migrate`);
  };
  const whenReady = () =>
    (ready ??= prepare().catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));

  const db: Db = {
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      try {
        await whenReady();
        return await pool.query<R>(sql, params);
      } catch (err) {
        return unavailable(err);
      }
    },
    async transaction(fn) {
      try {
        await whenReady();
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn(client);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      } catch (err) {
        return unavailable(err);
      }
    },
  };

  return {
    db,
    pool,
    audit: {
      async append(e) {
        await db.query('INSERT INTO audit_events (at, type, outcome, "user", relying_party, client_ip, reason, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', auditValues(e));
      },
      async recent(limit, filter) {
        const r = await db.query<AuditRow>('SELECT * FROM audit_events WHERE ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR "user" = $2) ORDER BY id DESC LIMIT $3', [filter?.type ?? null, filter?.user ?? null, limit]);
        return r.rows.map(auditFromRow);
      },
      async search(filter) {
        const { sql, params } = auditSearchQuery(filter, (n) => `$${n}`, '"user"');
        return (await db.query<AuditRow>(sql, params)).rows.map(auditFromRow);
      },
      async deleteBefore(before) {
        return (await db.query('DELETE FROM audit_events WHERE at < $1', [before.getTime()])).rowCount ?? 0;
      },
    },
    keys: {
      async list(use) {
        return (await db.query<KeyRow>('SELECT * FROM keys WHERE ($1::text IS NULL OR use = $1) ORDER BY created_at, id', [use ?? null])).rows.map(keyFromRow);
      },
      async get(id) {
        const row = (await db.query<KeyRow>('SELECT * FROM keys WHERE id = $1', [id])).rows[0];
        return row && keyFromRow(row);
      },
      async put(k) {
        const r = await uniqueKeyState(k, () => db.query(
          `INSERT INTO keys (id, use, status, origin, certificate, sealed_private_key, not_before, not_after, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
          [k.id, k.use, k.status, k.origin, k.certificateDer, k.sealedPrivateKey, k.notBefore.getTime(), k.notAfter.getTime(), k.createdAt.getTime()],
        ));
        if (r.rowCount !== 1) throw new KeyConflictError(`key ${k.id} is already stored`);
      },
      async setStatus(id, status) {
        if ((await uniqueKeyState({ id, status }, () => db.query('UPDATE keys SET status = $1 WHERE id = $2', [status, id]))).rowCount !== 1) throw new Error(`no key ${id}`);
      },
      async update(changes) {
        await db.transaction(async (c) => {
          for (const ch of changes) {
            if (ch.status !== undefined) {
              const status = ch.status;
              // Compare-and-set: the key must still be in the state it was read in (another node may have moved it).
              const done = await uniqueKeyState({ id: ch.id, status }, () => (ch.expect === undefined
                ? c.query('UPDATE keys SET status = $1 WHERE id = $2', [status, ch.id])
                : c.query('UPDATE keys SET status = $1 WHERE id = $2 AND status = $3', [status, ch.id, ch.expect])));
              if (done.rowCount !== 1) {
                const exists = (await c.query('SELECT 1 FROM keys WHERE id = $1', [ch.id])).rowCount === 1;
                throw ch.expect !== undefined && exists ? new KeyConflictError(`key ${ch.id} is no longer ${ch.expect}`) : new Error(`no key ${ch.id}`);
              }
            }
            if (ch.sealedPrivateKey !== undefined && (await c.query('UPDATE keys SET sealed_private_key = $1 WHERE id = $2', [ch.sealedPrivateKey, ch.id])).rowCount !== 1) throw new Error(`no key ${ch.id}`);
          }
        });
      },
    },
    sessions: {
      async create(s) {
        await db.query('INSERT INTO sessions (id, "user", created_at, expires_at, data) VALUES ($1, $2, $3, $4, $5)', [s.id, s.user, s.createdAt.getTime(), s.expiresAt.getTime(), JSON.stringify(s.data)]);
      },
      async get(id, now = new Date()) {
        const row = (await db.query<SessionRow>('SELECT * FROM sessions WHERE id = $1 AND expires_at > $2', [id, now.getTime()])).rows[0];
        return row && sessionFromRow(row);
      },
      async update(id, data) {
        await db.query('UPDATE sessions SET data = $1 WHERE id = $2', [JSON.stringify(data), id]);
      },
      async delete(id) {
        await db.query('DELETE FROM sessions WHERE id = $1', [id]);
      },
      async deleteExpired(now) {
        return (await db.query('DELETE FROM sessions WHERE expires_at <= $1', [now.getTime()])).rowCount ?? 0;
      },
      async countActive(now) {
        return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE expires_at > $1', [now.getTime()])).rows[0]!.n;
      },
    },
    counters: {
      async increment(key, windowMs, by = 1, now = new Date()) {
        const t = now.getTime();
        // One statement: concurrent failures on two nodes both count (row lock of the upsert).
        const r = await db.query<{ value: number }>(
          `INSERT INTO counters (key, value, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO UPDATE SET
             value = CASE WHEN counters.expires_at > $4 THEN counters.value + $2 ELSE $2 END,
             expires_at = CASE WHEN counters.expires_at > $4 THEN counters.expires_at ELSE $3 END
           RETURNING value`,
          [key, by, t + windowMs, t],
        );
        return r.rows[0]!.value;
      },
      async get(key, now = new Date()) {
        return (await db.query<{ value: number }>('SELECT value FROM counters WHERE key = $1 AND expires_at > $2', [key, now.getTime()])).rows[0]?.value ?? 0;
      },
      async reset(key) {
        await db.query('DELETE FROM counters WHERE key = $1', [key]);
      },
      async useOnce(key, expiresAt, now = new Date()) {
        // The replay cache: inserted, or revived once expired, in one statement; a live duplicate changes no row.
        const r = await db.query(
          `INSERT INTO counters (key, value, expires_at) VALUES ($1, 1, $2)
           ON CONFLICT (key) DO UPDATE SET value = 1, expires_at = $2 WHERE counters.expires_at <= $3`,
          [key, expiresAt.getTime(), now.getTime()],
        );
        return r.rowCount === 1;
      },
      async deleteExpired(now) {
        return (await db.query('DELETE FROM counters WHERE expires_at <= $1', [now.getTime()])).rowCount ?? 0;
      },
    },
    activity: {
      async list(account, now = new Date()) {
        return (await db.query<ActivityRow>('SELECT * FROM account_activity WHERE account = $1 AND expires_at > $2 ORDER BY at DESC, address', [account, now.getTime()])).rows.map(activityFromRow);
      },
      async put(account, e, keep) {
        // One transaction: a concurrent put of the same account cannot leave more than `keep` behind.
        await db.transaction(async (c) => {
          await c.query(
            `INSERT INTO account_activity (account, kind, address, at, expires_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (account, kind, address) DO UPDATE SET at = excluded.at, expires_at = excluded.expires_at`,
            [account, e.kind, e.address, e.at.getTime(), e.expiresAt.getTime()],
          );
          if (keep !== undefined) await c.query(trimActivity((name) => ({ account: '$1', kind: '$2', keep: '$3' })[name]), [account, e.kind, keep]);
        });
      },
      async remove(account, kinds) {
        await db.query('DELETE FROM account_activity WHERE account = $1 AND ($2::text[] IS NULL OR kind = ANY($2))', [account, kinds ?? null]);
      },
      async deleteExpired(now) {
        return (await db.query('DELETE FROM account_activity WHERE expires_at <= $1', [now.getTime()])).rowCount ?? 0;
      },
    },
    sync: postgresSyncStore(db),
    mfa: postgresMfaStore(db),
    ...postgresOidcStores(db),
    trusts: postgresTrustStore(db),
    async close() {
      await pool.end();
    },
  };
}
