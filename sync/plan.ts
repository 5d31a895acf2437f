import type { SyncObjectRecord } from '../store/types.js';
import { changedProperties } from './mapping.js';

/** One pending change to Entra (an Entra Connect "pending export": add, update, delete). */
export type Op =
  | { kind: 'create'; record: SyncObjectRecord }
  | { kind: 'restore'; record: SyncObjectRecord }
  | { kind: 'update'; record: SyncObjectRecord; changes: Record<string, unknown> }
  | { kind: 'delete'; record: SyncObjectRecord }
  | { kind: 'addMembers'; record: SyncObjectRecord; members: SyncObjectRecord[] }
  | { kind: 'removeMembers'; record: SyncObjectRecord; members: string[] };

export interface PlanSummary {
  creates: number;
  restores: number;
  updates: number;
  deletes: number;
  memberAdds: number;
  memberRemoves: number;
}

/** Object-level changes: create, restore (from deletedItems), update, soft-delete. */
export function planObjects(records: SyncObjectRecord[]): Op[] {
  const ops: Op[] = [];
  for (const r of records) {
    if (r.desired === null) {
      if (r.entraId !== null && !r.entraDeleted) ops.push({ kind: 'delete', record: r });
    } else if (r.entraId === null) {
      ops.push({ kind: 'create', record: r });
    } else if (r.entraDeleted) {
      ops.push({ kind: 'restore', record: r });
    } else {
      const changes = changedProperties(r.desired, r.exported);
      if (Object.keys(changes).length > 0) ops.push({ kind: 'update', record: r, changes });
    }
  }
  return ops;
}

/**
 * Membership changes of live groups. A member that is not in Entra yet is left for later (the
 * next phase or run); `pendingToo` counts it anyway, for previews.
 */
export function planMembers(records: SyncObjectRecord[], pendingToo = false): Op[] {
  const byGuid = new Map(records.map((r) => [r.objectGuid, r]));
  const ops: Op[] = [];
  for (const g of records) {
    if (g.kind !== 'group' || g.desired === null || (!pendingToo && (g.entraId === null || g.entraDeleted))) continue;
    const wanted = g.memberGuids.map((m) => byGuid.get(m)).filter((m): m is SyncObjectRecord => m !== undefined && m.desired !== null);
    const wantedAnchors = new Set(wanted.map((m) => m.anchor));
    const have = new Set(g.exportedMembers);
    const add = wanted.filter((m) => !have.has(m.anchor) && (pendingToo || (m.entraId !== null && !m.entraDeleted)));
    const remove = g.exportedMembers.filter((a) => !wantedAnchors.has(a));
    if (add.length > 0) ops.push({ kind: 'addMembers', record: g, members: add });
    if (remove.length > 0) ops.push({ kind: 'removeMembers', record: g, members: remove });
  }
  return ops;
}

export function summarize(ops: Op[]): PlanSummary {
  const s: PlanSummary = { creates: 0, restores: 0, updates: 0, deletes: 0, memberAdds: 0, memberRemoves: 0 };
  for (const op of ops) {
    if (op.kind === 'create') s.creates++;
    else if (op.kind === 'restore') s.restores++;
    else if (op.kind === 'update') s.updates++;
    else if (op.kind === 'delete') s.deletes++;
    else if (op.kind === 'addMembers') s.memberAdds += op.members.length;
    else s.memberRemoves += op.members.length;
  }
  return s;
}

/** A preview line: what would happen to which object. */
export function describeOp(op: Op): { op: string; kind: string; dn: string; detail?: string } {
  const base = { op: op.kind, kind: op.record.kind, dn: op.record.dn };
  if (op.kind === 'update') return { ...base, detail: Object.keys(op.changes).join(',') };
  if (op.kind === 'addMembers') return { ...base, detail: op.members.map((m) => m.dn).join('; ') };
  if (op.kind === 'removeMembers') return { ...base, detail: `${op.members.length} member(s)` };
  return base;
}
