import type { ObjectKind } from '../tenant.js';
import { parseSelect, project, type Json } from './query.js';
import { badRequest, type GraphRequest, type GraphResponse } from './types.js';
import { USER_DEFAULTS, USER_PROPS, USER_TYPE } from './users.js';
import { GROUP_PROPS, GROUP_TYPE } from './groups.js';

/** Page size of a delta round unless `Prefer: odata.maxpagesize=N` asks otherwise. */
const DELTA_PAGE = 100;

interface Cursor { since: number; until: number; offset: number }

/**
 * `/users/delta` and `/groups/delta` (Graph "delta query"): the first round returns every live object,
 * later rounds (`$deltatoken`) the current state of objects changed since, and deleted ones as
 * `{"id", "@removed": {"reason": "changed" | "deleted"}}` — "changed" while restorable, "deleted" once purged.
 * Group rounds carry no `members@delta` here (not needed by Gatehouse's sync, which reads members itself).
 */
export function delta(req: GraphRequest, kind: ObjectKind): GraphResponse {
  const [typeName, props, defaults] = kind === 'user' ? [USER_TYPE, USER_PROPS, USER_DEFAULTS] : [GROUP_TYPE, GROUP_PROPS, GROUP_PROPS];
  const select = parseSelect(req, typeName, props, defaults);
  if (!Array.isArray(select)) return select;
  const cursor = readCursor(req);
  if (!cursor) return badRequest('Invalid delta token.');
  const items = changedObjects(req, kind, cursor, select);
  const size = pageSize(req.headers.prefer);
  const link = (param: string, c: Cursor) => {
    const q = new URLSearchParams();
    const selected = req.query.get('$select');
    if (selected !== null) q.set('$select', selected);
    q.set(param, Buffer.from(JSON.stringify(c)).toString('base64url'));
    return `${req.graphBase}/${kind}s/delta?${q.toString()}`;
  };
  const body: Json = { '@odata.context': `${req.graphBase}/$metadata#${kind}s`, value: items.slice(cursor.offset, cursor.offset + size) };
  if (cursor.offset + size < items.length) body['@odata.nextLink'] = link('$skiptoken', { ...cursor, offset: cursor.offset + size });
  else body['@odata.deltaLink'] = link('$deltatoken', { since: cursor.until, until: cursor.until, offset: 0 });
  return { status: 200, body };
}

function changedObjects(req: GraphRequest, kind: ObjectKind, c: Cursor, select: string[]): Json[] {
  const { tenant } = req;
  const live = (id: string): Json | undefined => {
    const obj = kind === 'user' ? tenant.users.get(id) : tenant.groups.get(id);
    if (!obj) return undefined;
    const json: Json = { ...obj };
    delete json.members;
    delete json.passwordProfile;
    return project(json, select);
  };
  if (c.since === 0) {
    return [...(kind === 'user' ? tenant.users.keys() : tenant.groups.keys())].flatMap((id): Json[] => { const o = live(id); return o ? [o] : []; });
  }
  const last = new Map<string, 'changed' | 'deleted' | null>();
  for (const ch of tenant.changes.slice(c.since, c.until)) if (ch.kind === kind) { last.delete(ch.id); last.set(ch.id, ch.removed); }
  return [...last].map(([id, removed]): Json => (removed === null ? live(id) : undefined) ?? { id, '@removed': { reason: removed ?? 'deleted' } });
}

function readCursor(req: GraphRequest): Cursor | undefined {
  const now = req.tenant.changes.length;
  const skip = req.query.get('$skiptoken');
  const token = skip ?? req.query.get('$deltatoken');
  if (token === null) return { since: 0, until: now, offset: 0 };
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (![c.since, c.until, c.offset].every((n) => Number.isInteger(n) && n >= 0 && n <= now)) return undefined;
    // A skiptoken continues its round; a deltatoken starts a new round up to now.
    return skip === null ? { since: c.since, until: now, offset: 0 } : c;
  } catch {
    return undefined;
  }
}

function pageSize(prefer: string | undefined): number {
  const m = /odata\.maxpagesize=(\d+)/.exec(prefer ?? '');
  return m?.[1] ? Math.max(1, Number(m[1])) : DELTA_PAGE;
}
