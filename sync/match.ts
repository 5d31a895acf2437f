import type { EntraGroup, EntraUser } from '../entra/directory-objects.js';
import type { GraphClient } from '../entra/graph-client.js';
import type { SyncObjectRecord } from '../store/types.js';

/** What Entra already has, for matching objects the sync is about to create. */
export interface EntraIndex {
  usersByImmutableId: Map<string, EntraUser>;
  cloudUsers: EntraUser[];
  groupsByNickname: Map<string, EntraGroup[]>;
  /** Anchors whose create was journaled by a run that did not finish. */
  unfinishedCreates: Set<string>;
}

/** Reads users (and groups, when a crashed run may have created some) once per run. */
export async function loadEntraIndex(graph: GraphClient, wantUsers: boolean, wantGroups: boolean, unfinishedCreates: Set<string>): Promise<EntraIndex> {
  const users = wantUsers ? await graph.users.list() : [];
  const groups = wantGroups ? await graph.groups.list() : [];
  const usersByImmutableId = new Map<string, EntraUser>();
  for (const u of users) if (u.onPremisesImmutableId) usersByImmutableId.set(u.onPremisesImmutableId, u);
  const groupsByNickname = new Map<string, EntraGroup[]>();
  for (const g of groups) groupsByNickname.set(g.mailNickname.toLowerCase(), [...(groupsByNickname.get(g.mailNickname.toLowerCase()) ?? []), g]);
  return { usersByImmutableId, cloudUsers: users.filter((u) => !u.onPremisesImmutableId), groupsByNickname, unfinishedCreates };
}

/**
 * Users: hard match on onPremisesImmutableId (ENTRA.md §7.2), else soft match of a cloud-only
 * user (no ImmutableID) on UPN or on an SMTP proxy address equal to the mail — Entra Connect's
 * rules. Groups are matched only to finish a create a crashed run journaled: Graph cannot set an
 * on-premises anchor on a group, so the mailNickname the journal recorded identifies it.
 */
export function matchExisting(r: SyncObjectRecord, index: EntraIndex, claimed: Set<string>): { id: string; how: 'hard' | 'soft' | 'journal' } | undefined {
  const d = r.desired ?? {};
  if (r.kind === 'user') {
    const hard = index.usersByImmutableId.get(r.anchor);
    if (hard && !claimed.has(hard.id)) return { id: hard.id, how: 'hard' };
    const upn = String(d.userPrincipalName ?? '').toLowerCase();
    const smtp = d.mail ? `smtp:${String(d.mail).toLowerCase()}` : undefined;
    const soft = index.cloudUsers.find((u) => !claimed.has(u.id)
      && (u.userPrincipalName.toLowerCase() === upn || (smtp !== undefined && (u.proxyAddresses ?? []).some((p) => p.toLowerCase() === smtp))));
    return soft ? { id: soft.id, how: 'soft' } : undefined;
  }
  if (!index.unfinishedCreates.has(r.anchor)) return undefined;
  const group = (index.groupsByNickname.get(String(d.mailNickname ?? '').toLowerCase()) ?? []).find((g) => !claimed.has(g.id));
  return group ? { id: group.id, how: 'journal' } : undefined;
}
