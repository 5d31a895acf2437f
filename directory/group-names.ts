import type { DirectoryGroup } from './types.js';

/** Entries kept at most; a domain with more groups than this in active use just asks AD more often. */
const MAX_ENTRIES = 20_000;

interface Named {
  /** undefined: a SID with no group under the base DN (a builtin or foreign one), remembered as such. */
  group: DirectoryGroup | undefined;
  until: number;
}

/**
 * The groups a user's tokenGroups SIDs name, remembered for `ttlMs`: every sign-in of every user
 * of a group would otherwise search AD for the same names. A SID that names no group under the
 * base DN (BUILTIN\Users, a foreign domain's) is remembered too, so it is not searched every time.
 * Membership itself is never cached: tokenGroups is read at each directory read of the user.
 */
export class GroupNames {
  private readonly names = new Map<string, Named>();

  constructor(private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  /** The groups known for `sids`, and the SIDs still to look up. */
  lookup(sids: string[]): { known: DirectoryGroup[]; missing: string[] } {
    const known: DirectoryGroup[] = [];
    const missing: string[] = [];
    const now = this.now();
    for (const sid of sids) {
      const named = this.names.get(sid);
      if (!named || named.until <= now) missing.push(sid);
      else if (named.group) known.push(named.group);
    }
    return { known, missing };
  }

  /** What a search for `searched` found; each searched SID not among `found` names no group. */
  remember(searched: string[], found: DirectoryGroup[]): void {
    if (this.ttlMs === 0) return;
    if (this.names.size + searched.length > MAX_ENTRIES) this.names.clear();
    const until = this.now() + this.ttlMs;
    const bySid = new Map(found.flatMap((g) => (g.sid ? [[g.sid, g] as const] : [])));
    for (const sid of searched) this.names.set(sid, { group: bySid.get(sid), until });
  }
}
