import { outcome, MAX_MEMBERS_PER_BIND, type ObjectRequests } from '../entra/directory-objects.js';
import type { BatchItem, BatchOutcome, GraphClient } from '../entra/graph-client.js';
import type { SyncJournalEntry, SyncObjectRecord, SyncStateStore } from '../store/types.js';
import { matchExisting, type EntraIndex } from './match.js';
import type { Op } from './plan.js';

/** The Entra id of an object the plan only updates, deletes or restores once it has one. */
function entraIdOf(r: SyncObjectRecord): string {
  if (r.entraId === null) throw new Error(`${r.dn} has no Entra object yet`);
  return r.entraId;
}

interface Pending {
  op: Op;
  item: BatchItem;
  /** Applies a definite answer to the record; false = keep it in the error list. */
  apply: (o: BatchOutcome, r: SyncObjectRecord) => boolean;
  /** Members to retry one by one with `$ref` when a bind fails because some are members already. */
  members?: SyncObjectRecord[];
}

export interface ExportCounts {
  created: number;
  restored: number;
  updated: number;
  deleted: number;
  memberAdds: number;
  memberRemoves: number;
  hardMatched: number;
  softMatched: number;
  errors: number;
}

/**
 * Writes planned changes through `$batch` (ENTRA.md §8.3) with a journal: every batch's
 * intents are stored before it is sent and cleared after its answers are stored. A run killed in
 * between leaves intents; the next run marks those objects as unknown and re-sends their full
 * state, which Graph accepts idempotently (creates are first looked up by ImmutableID / mailNickname).
 */
export class Exporter {
  readonly counts: ExportCounts = { created: 0, restored: 0, updated: 0, deleted: 0, memberAdds: 0, memberRemoves: 0, hardMatched: 0, softMatched: 0, errors: 0 };
  private seq = 0;

  constructor(
    private readonly graph: GraphClient,
    private readonly store: SyncStateStore,
    private readonly runId: string,
    private readonly onBatch: (done: number) => void,
  ) {}

  /** Creates first look for the object in Entra: hard match, soft match, or a crashed run's own create. */
  async adopt(ops: Op[], index: EntraIndex, claimed: Set<string>): Promise<Op[]> {
    const rest: Op[] = [];
    const adopted: SyncObjectRecord[] = [];
    for (const op of ops) {
      const found = op.kind === 'create' ? matchExisting(op.record, index, claimed) : undefined;
      if (!found) {
        rest.push(op);
        continue;
      }
      claimed.add(found.id);
      if (found.how === 'hard') this.counts.hardMatched++;
      else if (found.how === 'soft') this.counts.softMatched++;
      const record = { ...op.record, entraId: found.id, exported: null, entraDeleted: false };
      adopted.push(record);
      rest.push({ kind: 'update', record, changes: { ...record.desired } });
    }
    await this.store.putObjects(adopted);
    return rest;
  }

  async run(ops: Op[]): Promise<void> {
    const pending = ops.flatMap((op) => this.toItems(op));
    await this.send(pending);
  }

  private toItems(op: Op): Pending[] {
    const r = op.record;
    const { requests } = this.graph;
    const objects: ObjectRequests = r.kind === 'user' ? requests.users : requests.groups;
    const id = () => String(++this.seq);
    switch (op.kind) {
      case 'create':
        return [{ op, item: { id: id(), ...objects.create(r.desired ?? {}) }, apply: (o, rec) => {
          const entraId = outcome.createdId(o);
          if (entraId === undefined) return false;
          rec.entraId = entraId;
          rec.exported = { ...rec.desired };
          rec.exportedMembers = [];
          this.counts.created++;
          return true;
        } }];
      case 'restore':
        return [{ op, item: { id: id(), ...requests.deletedItems.restore(entraIdOf(r)) }, apply: (o, rec) => {
          // 404: already restored by a run that crashed, or purged; the update that follows tells which.
          if (!outcome.succeeded(o) && !outcome.notFound(o)) return false;
          rec.entraDeleted = false;
          rec.exported = null;
          this.counts.restored++;
          return true;
        } }];
      case 'update':
        return [{ op, item: { id: id(), ...objects.update(entraIdOf(r), op.changes) }, apply: (o, rec) => {
          if (outcome.notFound(o)) {
            // Gone from Entra (purged, or deleted by someone else): create or match it again next run.
            rec.entraId = null;
            rec.exported = null;
            rec.exportedMembers = [];
            return false;
          }
          if (!outcome.succeeded(o)) return false;
          rec.exported = { ...(rec.exported ?? {}), ...op.changes };
          this.counts.updated++;
          return true;
        } }];
      case 'delete':
        return [{ op, item: { id: id(), ...objects.delete(entraIdOf(r)) }, apply: (o, rec) => {
          if (!outcome.succeeded(o) && !outcome.notFound(o)) return false;
          rec.entraDeleted = true;
          rec.exportedMembers = [];
          this.counts.deleted++;
          return true;
        } }];
      case 'addMembers': {
        const chunks: SyncObjectRecord[][] = [];
        for (let i = 0; i < op.members.length; i += MAX_MEMBERS_PER_BIND) chunks.push(op.members.slice(i, i + MAX_MEMBERS_PER_BIND));
        return chunks.map((members) => ({
          op, members,
          item: { id: id(), ...requests.groups.addMembers(entraIdOf(r), members.map((m) => m.entraId ?? '')) },
          apply: (o: BatchOutcome, rec: SyncObjectRecord) => {
            if (!outcome.succeeded(o)) return false;
            rec.exportedMembers = [...new Set([...rec.exportedMembers, ...members.map((m) => m.anchor)])];
            this.counts.memberAdds += members.length;
            return true;
          },
        }));
      }
      case 'removeMembers':
        return op.members.map((anchor) => ({
          op,
          item: { id: id(), ...requests.groups.removeMember(entraIdOf(r), this.memberId(anchor)) },
          apply: (o: BatchOutcome, rec: SyncObjectRecord) => {
            if (!outcome.succeeded(o) && !outcome.notFound(o)) return false;
            rec.exportedMembers = rec.exportedMembers.filter((a) => a !== anchor);
            this.counts.memberRemoves++;
            return true;
          },
        }));
    }
  }

  private memberIds = new Map<string, string>();

  /** Entra ids of members being removed, including ones whose own record is gone. */
  setMemberIds(records: SyncObjectRecord[]): void {
    for (const r of records) if (r.entraId) this.memberIds.set(r.anchor, r.entraId);
  }

  private memberId(anchor: string): string {
    return this.memberIds.get(anchor) ?? anchor;
  }

  /** Journal, send, store the answers, clear the journal; then retry binds that hit existing members one by one. */
  private async send(pending: Pending[]): Promise<void> {
    if (pending.length === 0) return;
    const intents: SyncJournalEntry[] = pending.map((p) => ({
      id: `${this.runId}:${p.item.id}`, runId: this.runId, anchor: p.op.record.anchor, op: p.op.kind,
      detail: { method: p.item.method, url: p.item.url, ...(p.op.kind === 'create' ? { mailNickname: p.op.record.desired?.mailNickname ?? null } : {}) },
      at: new Date(),
    }));
    await this.store.addIntents(intents);
    const outcomes = await this.graph.batch(pending.map((p) => p.item));
    const records = new Map<string, SyncObjectRecord>();
    const settled: string[] = [];
    const retryRefs: Pending[] = [];
    for (const p of pending) {
      const o = outcomes.get(p.item.id);
      const rec = records.get(p.op.record.anchor) ?? { ...(await this.store.getObject(p.op.record.anchor) ?? p.op.record) };
      records.set(rec.anchor, rec);
      if (!o || o.status === 0) {
        // Unknown whether Graph executed it: the intent stays for the next run to reconcile.
        rec.error = { op: p.op.kind, message: o ? outcome.failure(o) : 'no answer', at: new Date(), attempts: (rec.error?.attempts ?? 0) + 1 };
        this.counts.errors++;
        continue;
      }
      settled.push(`${this.runId}:${p.item.id}`);
      if (p.members && outcome.alreadyMember(o)) {
        retryRefs.push(...p.members.map((m) => this.refAdd(p.op, m)));
        continue;
      }
      if (p.apply(o, rec)) {
        rec.error = null;
      } else {
        rec.error = { op: p.op.kind, message: outcome.failure(o), at: new Date(), attempts: (rec.error?.attempts ?? 0) + 1 };
        this.counts.errors++;
      }
    }
    await this.store.putObjects([...records.values()]);
    await this.store.clearIntents(settled);
    this.onBatch(pending.length);
    await this.send(retryRefs);
  }

  /** One member added on its own (`$ref`); "already a member" counts as done. */
  private refAdd(op: Op, member: SyncObjectRecord): Pending {
    return {
      op,
      item: { id: String(++this.seq), ...this.graph.requests.groups.addMember(entraIdOf(op.record), member.entraId ?? '') },
      apply: (o, rec) => {
        if (!outcome.succeeded(o) && !outcome.alreadyMember(o)) return false;
        rec.exportedMembers = [...new Set([...rec.exportedMembers, member.anchor])];
        this.counts.memberAdds++;
        return true;
      },
    };
  }
}
