import { randomUUID } from 'node:crypto';
import type { Group, Tenant } from '../tenant.js';
import { parseFilter, parseSelect, page, project, type Json } from './query.js';
import { badRequest, invalidProperty, isObject, notFound, type GraphRequest, type GraphResponse } from './types.js';
import { USER_DEFAULTS, USER_TYPE } from './users.js';

export const GROUP_TYPE = 'microsoft.graph.group';
const WRITABLE = ['displayName', 'mailNickname', 'mailEnabled', 'securityEnabled', 'description', 'groupTypes'] as const;
export const GROUP_PROPS = ['id', 'deletedDateTime', 'mail', ...WRITABLE];
/** Graph "Create group": required properties. */
const REQUIRED = ['displayName', 'mailEnabled', 'mailNickname', 'securityEnabled'] as const;
/** Graph "Update group" / "Create group": at most 20 members per `members@odata.bind`. */
const MAX_BIND = 20;
const MEMBERS_BIND = 'members@odata.bind';

const asJson = (g: Group): Json => {
  const { members: _members, ...rest } = g;
  return { description: null, groupTypes: [], mail: null, deletedDateTime: null, ...rest };
};

export function listGroups(req: GraphRequest): GraphResponse {
  const select = parseSelect(req, GROUP_TYPE, GROUP_PROPS, GROUP_PROPS);
  if (!Array.isArray(select)) return select;
  const filter = parseFilter(req, ['id', 'displayName', 'mailNickname']);
  if (filter && typeof filter !== 'function') return filter;
  const groups = [...req.tenant.groups.values()].map(asJson).filter(filter ?? (() => true)).map((g) => project(g, select));
  const body = page(req, groups, `${req.graphBase}/$metadata#groups`);
  return 'status' in body ? (body as GraphResponse) : { status: 200, body };
}

export function getGroup(req: GraphRequest, id: string): GraphResponse {
  const group = req.tenant.groups.get(id);
  if (!group) return notFound(id);
  const select = parseSelect(req, GROUP_TYPE, GROUP_PROPS, GROUP_PROPS);
  if (!Array.isArray(select)) return select;
  return { status: 200, body: { '@odata.context': `${req.graphBase}/$metadata#groups/$entity`, ...project(asJson(group), select) } };
}

export function createGroup(req: GraphRequest): GraphResponse {
  const body = req.body;
  if (!isObject(body)) return badRequest('Empty Payload. JSON content expected.');
  for (const p of REQUIRED) if (body[p] === undefined || body[p] === null) return invalidProperty(p, 'Group');
  const group: Group = { id: randomUUID(), displayName: '', mailNickname: '', mailEnabled: false, securityEnabled: true, ...pick(body), members: new Set() };
  const invalid = validate(group) ?? bindMembers(req.tenant, group, body[MEMBERS_BIND]);
  if (invalid) return invalid;
  req.tenant.groups.set(group.id, group);
  req.tenant.touch('group', group.id);
  return { status: 201, headers: { location: `${req.graphBase}/groups/${group.id}` }, body: { '@odata.context': `${req.graphBase}/$metadata#groups/$entity`, ...asJson(group) } };
}

export function updateGroup(req: GraphRequest, id: string): GraphResponse {
  const group = req.tenant.groups.get(id);
  if (!group) return notFound(id);
  if (!isObject(req.body)) return badRequest('Empty Payload. JSON content expected.');
  const updated: Group = { ...group, ...pick(req.body), members: new Set(group.members) };
  const invalid = validate(updated) ?? bindMembers(req.tenant, updated, req.body[MEMBERS_BIND]);
  if (invalid) return invalid;
  Object.assign(group, updated);
  req.tenant.touch('group', id);
  return { status: 204 };
}

export function deleteGroup(req: GraphRequest, id: string): GraphResponse {
  return req.tenant.deleteObject('group', id) ? { status: 204 } : notFound(id);
}

export function listMembers(req: GraphRequest, id: string): GraphResponse {
  const group = req.tenant.groups.get(id);
  if (!group) return notFound(id);
  const members = [...group.members].flatMap((mid): Json[] => {
    const user = req.tenant.users.get(mid);
    if (user) return [{ '@odata.type': `#${USER_TYPE}`, ...project({ ...user }, USER_DEFAULTS) }];
    const g = req.tenant.groups.get(mid);
    return g ? [{ '@odata.type': `#${GROUP_TYPE}`, ...asJson(g) }] : [];
  });
  const body = page(req, members, `${req.graphBase}/$metadata#directoryObjects`);
  return 'status' in body ? (body as GraphResponse) : { status: 200, body };
}

/** `POST /groups/{id}/members/$ref` with `{"@odata.id": ".../directoryObjects/{id}"}`. */
export function addMemberRef(req: GraphRequest, id: string): GraphResponse {
  const group = req.tenant.groups.get(id);
  if (!group) return notFound(id);
  const ref = isObject(req.body) ? req.body['@odata.id'] : undefined;
  if (typeof ref !== 'string') return badRequest("The '@odata.id' property is required in the request body.");
  const memberId = refId(ref);
  if (!memberId || !isDirectoryObject(req.tenant, memberId)) return notFound(memberId ?? ref);
  if (group.members.has(memberId)) return alreadyMember();
  group.members.add(memberId);
  req.tenant.touch('group', id);
  return { status: 204 };
}

/** `DELETE /groups/{id}/members/{memberId}/$ref`. */
export function removeMemberRef(req: GraphRequest, id: string, memberId: string): GraphResponse {
  const group = req.tenant.groups.get(id);
  if (!group) return notFound(id);
  if (!group.members.delete(memberId)) return notFound(memberId);
  req.tenant.touch('group', id);
  return { status: 204 };
}

function pick(body: Json): Partial<Group> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => (WRITABLE as readonly string[]).includes(k))) as Partial<Group>;
}

function validate(g: Group): GraphResponse | undefined {
  if (typeof g.displayName !== 'string' || g.displayName.length === 0 || g.displayName.length > 256) return invalidProperty('displayName', 'Group');
  if (typeof g.mailEnabled !== 'boolean') return invalidProperty('mailEnabled', 'Group');
  if (typeof g.securityEnabled !== 'boolean') return invalidProperty('securityEnabled', 'Group');
  if (typeof g.mailNickname !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(g.mailNickname) || /[@()\\[\]";:<>,]/.test(g.mailNickname)) {
    return invalidProperty('mailNickname', 'Group');
  }
  return undefined;
}

/** `members@odata.bind`: up to 20 references, each an existing directory object. Exact over-limit message *(unconfirmed)*. */
function bindMembers(tenant: Tenant, group: Group, binds: unknown): GraphResponse | undefined {
  if (binds === undefined) return undefined;
  if (!Array.isArray(binds) || !binds.every((b) => typeof b === 'string')) return invalidProperty(MEMBERS_BIND, 'Group');
  if (binds.length > MAX_BIND) return badRequest(`The request exceeds the maximum of ${MAX_BIND} members that can be added in a single request.`);
  for (const ref of binds) {
    const memberId = refId(ref);
    if (!memberId || !isDirectoryObject(tenant, memberId)) return notFound(memberId ?? ref);
    if (group.members.has(memberId)) return alreadyMember();
    group.members.add(memberId);
  }
  return undefined;
}

/** The object id at the end of `https://graph.microsoft.com/v1.0/directoryObjects/{id}` (or /users/, /groups/). */
function refId(ref: string): string | undefined {
  return /\/(?:directoryObjects|users|groups)\/([^/?#]+)$/.exec(ref)?.[1];
}

const isDirectoryObject = (tenant: Tenant, id: string) => tenant.users.has(id) || tenant.groups.has(id);

const alreadyMember = () => badRequest("One or more added object references already exist for the following modified properties: 'members'.");

