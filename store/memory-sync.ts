import type { SyncJournalEntry, SyncLease, SyncObjectRecord, SyncRunRecord, SyncStateStore } from './types.js';

/** In-process sync state for unit tests: the same contract as SQLite. */
export function memorySyncStore(): SyncStateStore {
  const objects = new Map<string, SyncObjectRecord>();
  const values = new Map<string, string>();
  const journal = new Map<string, SyncJournalEntry>();
  const runs = new Map<string, SyncRunRecord>();
  const leases = new Map<string, SyncLease>();
  return {
    async listObjects() {
      return [...objects.values()].map((o) => structuredClone(o));
    },
    async getObject(anchor) {
      const o = objects.get(anchor);
      return o && structuredClone(o);
    },
    async putObjects(records) {
      for (const r of records) objects.set(r.anchor, structuredClone(r));
    },
    async deleteObjects(anchors) {
      for (const a of anchors) objects.delete(a);
    },
    async getValue(key) {
      return values.get(key);
    },
    async setValue(key, value) {
      if (value === null) values.delete(key);
      else values.set(key, value);
    },
    async addIntents(entries) {
      for (const e of entries) if (!journal.has(e.id)) journal.set(e.id, structuredClone(e));
    },
    async listIntents() {
      return [...journal.values()].map((e) => structuredClone(e));
    },
    async clearIntents(ids) {
      for (const id of ids) journal.delete(id);
    },
    async saveRun(run) {
      runs.set(run.id, structuredClone(run));
    },
    async recentRuns(limit) {
      return [...runs.values()].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime()).slice(0, limit).map((r) => structuredClone(r));
    },
    async acquireLease(name, holder, expiresAt, now, takeOverFrom) {
      const current = leases.get(name);
      if (current && current.holder !== holder && current.expiresAt > now && current.holder !== takeOverFrom) return false;
      leases.set(name, { holder, expiresAt });
      return true;
    },
    async getLease(name) {
      const l = leases.get(name);
      return l && { ...l };
    },
    async releaseLease(name, holder) {
      if (leases.get(name)?.holder === holder) leases.delete(name);
    },
  };
}
