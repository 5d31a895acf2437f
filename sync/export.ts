import { randomBytes } from 'node:crypto';
import type { BatchItem, BatchOutcome, GraphClient } from '../entra/graph-client.js';
import type { SyncJournalEntry, SyncObjectRecord, SyncStateStore } from '../store/types.js';
import { matchExisting, type EntraIndex } from './match.js';
import type { Op } from './plan.js';

/** The absolute reference `members@odata.bind` and `$ref` take. */
const refUrl = (graphUrl: string, id: string) => `${graphUrl.replace(/\/+$/, '')}/v1.0/directoryObjects/${id}`;
/** Graph "Update group": at most 20 references per `members@odata.bind`. */
const MAX_BIND = 20;

const withoutNulls = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
const errorOf = (o: BatchOutcome): string => {
  const e = (o.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return `${o.status} ${e?.code ?? ''}: ${e?.message ?? ''}`.trim();
};
const alreadyMember = (o: BatchOutcome) => o.status === 400 && /already exist/i.test(errorOf(o));

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
 * Writes planned changes through `$batch` with a journal (issue [H] items 3–4): every batch's
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
    private readonly graphUrl: string,
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
    const path = r.kind === 'user' ? '/users' : '/groups';
    const id = () => String(++this.seq);
    switch (op.kind) {
      case 'create': {
        const body = r.kind === 'user'
          // ENTRA.md §8.2: a password is required; federated users never use it.
          ? { ...withoutNulls(r.desired ?? {}), passwordProfile: { password: `${randomBytes(24).toString('base64url')}aA1!`, forceChangePasswordNextSignIn: false } }
          : withoutNulls(r.desired ?? {});
        return [{ op, item: { id: id(), method: 'POST', url: path, body }, apply: (o, rec) => {
          if (o.status !== 201) return false;
          rec.entraId = (o.body as { id: string }).id;
          rec.exported = { ...rec.desired };
          rec.exportedMembers = [];
          this.counts.created++;
          return true;
        } }];
      }
      case 'restore':
        return [{ op, item: { id: id(), method: 'POST', url: `/directory/deletedItems/${r.entraId}/restore` }, apply: (o, rec) => {
          // 404: already restored by a run that crashed, or purged; the update that follows tells which.
          if (o.status !== 200 && o.status !== 404) return false;
          rec.entraDeleted = false;
          rec.exported = null;
          this.counts.restored++;
          return true;
        } }];
      case 'update':
        return [{ op, item: { id: id(), method: 'PATCH', url: `${path}/${r.entraId}`, body: op.changes }, apply: (o, rec) => {
          if (o.status === 404) {
            // Gone from Entra (purged, or deleted by someone else): create or match it again next run.
            rec.entraId = null;
            rec.exported = null;
            rec.exportedMembers = [];
            return false;
          }
          if (o.status !== 204 && o.status !== 200) return false;
          rec.exported = { ...(rec.exported ?? {}), ...op.changes };
          this.counts.updated++;
          return true;
        } }];
      case 'delete':
        return [{ op, item: { id: id(), method: 'DELETE', url: `${path}/${r.entraId}` }, apply: (o, rec) => {
          if (o.status !== 204 && o.status !== 404) return false;
          rec.entraDeleted = true;
          rec.exportedMembers = [];
          this.counts.deleted++;
          return true;
        } }];
      case 'addMembers': {
        const chunks: SyncObjectRecord[][] = [];
        for (let i = 0; i < op.members.length; i += MAX_BIND) chunks.push(op.members.slice(i, i + MAX_BIND));
        return chunks.map((members) => ({
          op, members,
          item: { id: id(), method: 'PATCH' as const, url: `/groups/${r.entraId}`, body: { 'members@odata.bind': members.map((m) => refUrl(this.graphUrl, m.entraId ?? '')) } },
          apply: (o: BatchOutcome, rec: SyncObjectRecord) => {
            if (o.status !== 204 && o.status !== 200) return false;
            rec.exportedMembers = [...new Set([...rec.exportedMembers, ...members.map((m) => m.anchor)])];
            this.counts.memberAdds += members.length;
            return true;
          },
        }));
      }
      case 'removeMembers':
        return op.members.map((anchor) => ({
          op,
          item: { id: id(), method: 'DELETE' as const, url: `/groups/${r.entraId}/members/${this.memberId(anchor)}/$ref` },
          apply: (o: BatchOutcome, rec: SyncObjectRecord) => {
            if (o.status !== 204 && o.status !== 404) return false;
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
        rec.error = { op: p.op.kind, message: o ? errorOf(o) : 'no answer', at: new Date(), attempts: (rec.error?.attempts ?? 0) + 1 };
        this.counts.errors++;
        continue;
      }
      settled.push(`${this.runId}:${p.item.id}`);
      if (p.members && alreadyMember(o)) {
        retryRefs.push(...p.members.map((m) => this.refAdd(p.op, m)));
        continue;
      }
      if (p.apply(o, rec)) {
        rec.error = null;
      } else {
        rec.error = { op: p.op.kind, message: errorOf(o), at: new Date(), attempts: (rec.error?.attempts ?? 0) + 1 };
        this.counts.errors++;
      }
    }
    await this.store.putObjects([...records.values()]);
    await this.store.clearIntents(settled);
    this.onBatch(pending.length);
    await this.send(retryRefs);
  }

  /** `POST /groups/{id}/members/$ref` for one member; "already a member" counts as done. */
  private refAdd(op: Op, member: SyncObjectRecord): Pending {
    return {
      op,
      item: { id: String(++this.seq), method: 'POST', url: `/groups/${op.record.entraId}/members/$ref`, body: { '@odata.id': refUrl(this.graphUrl, member.entraId ?? '') } },
      apply: (o, rec) => {
        if (o.status !== 204 && !alreadyMember(o)) return false;
        rec.exportedMembers = [...new Set([...rec.exportedMembers, member.anchor])];
        this.counts.memberAdds++;
        return true;
      },
    };
  }
}
