import type { ObjectKind, User } from '../tenant.js';
import { page, project, type Json } from './query.js';
import { conflict, notFound, type GraphRequest, type GraphResponse } from './types.js';
import { USER_DEFAULTS } from './users.js';
import { GROUP_PROPS } from './groups.js';

/** ENTRA.md §8.4: `/directory/deletedItems/microsoft.graph.user|group`, restore, purge; 30 days. */
export function listDeleted(req: GraphRequest, kind: ObjectKind): GraphResponse {
  req.tenant.expireDeletedItems();
  const [map, props] = kind === 'user' ? [req.tenant.deletedUsers, USER_DEFAULTS] : [req.tenant.deletedGroups, GROUP_PROPS];
  const items = [...map.values()].map((o) => project({ ...o } as Json, [...props, 'deletedDateTime']));
  const body = page(req, items, `${req.graphBase}/$metadata#directoryObjects/microsoft.graph.${kind}`);
  return 'status' in body ? (body as GraphResponse) : { status: 200, body };
}

export function getDeleted(req: GraphRequest, id: string): GraphResponse {
  const item = req.tenant.deletedItem(id);
  if (!item) return notFound(id);
  const props = item.kind === 'user' ? USER_DEFAULTS : GROUP_PROPS;
  return { status: 200, body: { '@odata.type': `#microsoft.graph.${item.kind}`, ...project({ ...item.obj } as Json, [...props, 'deletedDateTime']) } };
}

export function restoreDeleted(req: GraphRequest, id: string): GraphResponse {
  const item = req.tenant.deletedItem(id);
  if (!item) return notFound(id);
  // A restored user whose UPN was taken meanwhile collides like a new one would.
  if (item.kind === 'user' && req.tenant.findUserByUpn((item.obj as User).userPrincipalName)) return conflict('userPrincipalName');
  const obj = req.tenant.restoreObject(id) ?? item.obj;
  const kind = item.kind;
  const props = kind === 'user' ? USER_DEFAULTS : GROUP_PROPS;
  return { status: 200, body: { '@odata.context': `${req.graphBase}/$metadata#directoryObjects/$entity`, '@odata.type': `#microsoft.graph.${kind}`, ...project({ ...obj } as Json, props) } };
}

export function purgeDeleted(req: GraphRequest, id: string): GraphResponse {
  return req.tenant.purgeObject(id) ? { status: 204 } : notFound(id);
}
