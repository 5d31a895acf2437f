import { memoryOidcStores } from './memory-oidc.js';
import { memorySyncStore } from './memory-sync.js';
import { KeyConflictError, type AccountActivityStore, type ActivityEntry, type AuditEvent, type CounterStore, type KeyRecord, type MfaStore, type SessionRecord, type Store, type StoredTrust, type TotpEnrolment } from './types.js';

/** As the SQL stores' unique indexes: one active and one next key per use. */
function assertUniqueState(all: KeyRecord[]): void {
  for (const status of ['active', 'next'] as const) {
    for (const use of ['signing', 'decrypting'] as const) {
      if (all.filter((k) => k.use === use && k.status === status).length > 1) throw new KeyConflictError(`another ${use} key is already ${status}`);
    }
  }
}

/** In-process store for unit tests: the same contract as SQLite, nothing persisted. */
export function memoryStore(): Store {
  const audit: AuditEvent[] = [];
  let auditIds = 0;
  const keys = new Map<string, KeyRecord>();
  const sessions = new Map<string, SessionRecord>();
  const counters = new Map<string, { value: number; expiresAt: number }>();
  const trusts = new Map<string, StoredTrust>();

  const live = (key: string, now: number) => {
    const c = counters.get(key);
    return c && c.expiresAt > now ? c : undefined;
  };
  const counterStore: CounterStore = {
    async increment(key, windowMs, by = 1, now = new Date()) {
      const t = now.getTime();
      const c = live(key, t) ?? { value: 0, expiresAt: t + windowMs };
      c.value += by;
      counters.set(key, c);
      return c.value;
    },
    async get(key, now = new Date()) {
      return live(key, now.getTime())?.value ?? 0;
    },
    async reset(key) {
      counters.delete(key);
    },
    async useOnce(key, expiresAt, now = new Date()) {
      if (live(key, now.getTime())) return false;
      counters.set(key, { value: 1, expiresAt: expiresAt.getTime() });
      return true;
    },
    async deleteExpired(now) {
      let n = 0;
      for (const [key, c] of counters) if (c.expiresAt <= now.getTime() && counters.delete(key)) n++;
      return n;
    },
  };

  const activity = new Map<string, ActivityEntry[]>();
  const newestFirst = (a: ActivityEntry, b: ActivityEntry) => b.at.getTime() - a.at.getTime() || a.address.localeCompare(b.address);
  const activityStore: AccountActivityStore = {
    async list(account, now = new Date()) {
      return (activity.get(account) ?? []).filter((e) => e.expiresAt > now).sort(newestFirst).map((e) => ({ ...e }));
    },
    async put(account, entry, keep) {
      const same = (e: ActivityEntry) => e.kind === entry.kind && e.address === entry.address;
      const entries = [...(activity.get(account) ?? []).filter((e) => !same(e)), { ...entry }];
      const ofKind = entries.filter((e) => e.kind === entry.kind).sort(newestFirst);
      const dropped = new Set(keep === undefined ? [] : ofKind.slice(keep));
      activity.set(account, entries.filter((e) => !dropped.has(e)));
    },
    async remove(account, kinds) {
      activity.set(account, kinds ? (activity.get(account) ?? []).filter((e) => !kinds.includes(e.kind)) : []);
    },
    async deleteExpired(now) {
      let n = 0;
      for (const [account, entries] of activity) {
        const live = entries.filter((e) => e.expiresAt > now);
        n += entries.length - live.length;
        activity.set(account, live);
      }
      return n;
    },
  };

  return {
    audit: {
      async append(event) {
        audit.push({ ...event, id: ++auditIds });
      },
      async recent(limit, filter) {
        return audit
          .filter((e) => (!filter?.type || e.type === filter.type) && (!filter?.user || e.user === filter.user))
          .reverse()
          .slice(0, limit);
      },
      async search(f) {
        const users = f.users?.map((u) => u.toLowerCase());
        return audit
          .filter((e) => (!users?.length || users.includes(e.user?.toLowerCase() ?? '')) && (!f.types?.length || f.types.includes(e.type)))
          .filter((e) => (!f.since || e.at >= f.since) && (!f.until || e.at < f.until) && (f.afterId === undefined || e.id! > f.afterId))
          .reverse()
          .slice(0, f.limit);
      },
      async deleteBefore(before) {
        const kept = audit.filter((e) => e.at >= before);
        const n = audit.length - kept.length;
        audit.splice(0, audit.length, ...kept);
        return n;
      },
    },
    keys: {
      async list(use) {
        return [...keys.values()].filter((k) => !use || k.use === use).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      },
      async get(id) {
        return keys.get(id);
      },
      async put(record) {
        if (keys.has(record.id)) throw new KeyConflictError(`key ${record.id} is already stored`);
        assertUniqueState([...keys.values(), record]);
        keys.set(record.id, { ...record });
      },
      async setStatus(id, status) {
        const k = keys.get(id);
        if (!k) throw new Error(`no key ${id}`);
        assertUniqueState([...keys.values()].map((r) => (r.id === id ? { ...r, status } : r)));
        k.status = status;
      },
      async update(changes) {
        const next = new Map([...keys].map(([id, k]) => [id, { ...k }]));
        for (const c of changes) {
          const k = next.get(c.id);
          if (!k) throw new Error(`no key ${c.id}`);
          if (c.expect !== undefined && k.status !== c.expect) throw new KeyConflictError(`key ${c.id} is no longer ${c.expect}`);
          if (c.status !== undefined) k.status = c.status;
          if (c.sealedPrivateKey !== undefined) k.sealedPrivateKey = c.sealedPrivateKey;
          assertUniqueState([...next.values()]);
        }
        for (const [id, k] of next) keys.set(id, k);
      },
    },
    sessions: {
      async create(record) {
        sessions.set(record.id, structuredClone(record));
      },
      async get(id, now = new Date()) {
        const s = sessions.get(id);
        return s && s.expiresAt > now ? structuredClone(s) : undefined;
      },
      async update(id, data) {
        const s = sessions.get(id);
        if (s) s.data = structuredClone(data);
      },
      async delete(id) {
        sessions.delete(id);
      },
      async deleteExpired(now) {
        let n = 0;
        for (const [id, s] of sessions) if (s.expiresAt <= now && sessions.delete(id)) n++;
        return n;
      },
      async countActive(now) {
        return [...sessions.values()].filter((s) => s.expiresAt > now).length;
      },
    },
    counters: counterStore,
    activity: activityStore,
    sync: memorySyncStore(),
    mfa: memoryMfaStore(),
    ...memoryOidcStores(),
    trusts: {
      async list() {
        return [...trusts.values()].sort((a, b) => a.id.localeCompare(b.id)).map((t) => structuredClone(t));
      },
      async get(id) {
        const t = trusts.get(id);
        return t && structuredClone(t);
      },
      async put(t) {
        const stored = { ...structuredClone(t), version: (trusts.get(t.id)?.version ?? 0) + 1 };
        trusts.set(t.id, stored);
        return structuredClone(stored);
      },
      async setRefresh(id, refresh) {
        const t = trusts.get(id);
        if (t) t.lastRefresh = { ...refresh };
      },
      async delete(id) {
        return trusts.delete(id);
      },
    },
    async close() {},
  };
}

function memoryMfaStore(): MfaStore {
  const totp = new Map<string, TotpEnrolment>();
  return {
    async getTotp(userKey) {
      const e = totp.get(userKey);
      return e && { ...e };
    },
    async findTotpByUpn(upn) {
      const e = [...totp.values()].find((t) => t.upn.toLowerCase() === upn.toLowerCase());
      return e && { ...e };
    },
    async addTotp(e) {
      if (totp.has(e.userKey)) return false;
      totp.set(e.userKey, { ...e });
      return true;
    },
    async useTotpStep(userKey, step) {
      const e = totp.get(userKey);
      if (!e || e.lastStep >= step) return false;
      e.lastStep = step;
      return true;
    },
    async deleteTotp(userKey) {
      return totp.delete(userKey);
    },
    async listTotp() {
      return [...totp.values()].sort((a, b) => a.upn.toLowerCase().localeCompare(b.upn.toLowerCase()) || a.userKey.localeCompare(b.userKey)).map((e) => ({ ...e }));
    },
    async resealTotp(changes) {
      if (changes.some((c) => !totp.has(c.userKey))) throw new Error('no such TOTP enrolment');
      for (const c of changes) totp.get(c.userKey)!.sealedSecret = c.sealedSecret;
    },
  };
}
