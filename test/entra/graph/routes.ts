import { listUsers, getUser, createUser, updateUser, deleteUser } from './users.js';
import { listGroups, getGroup, createGroup, updateGroup, deleteGroup, listMembers, addMemberRef, removeMemberRef } from './groups.js';
import { delta } from './delta.js';
import { listDeleted, getDeleted, restoreDeleted, purgeDeleted } from './deleted-items.js';
import { listDomains, getDomain, updateDomain, listFederation, createFederation, getFederation, updateFederation, deleteFederation } from './domains.js';
import { graphError, type GraphRequest, type GraphResponse } from './types.js';

type Handler = (req: GraphRequest, ...params: string[]) => GraphResponse;
interface Route { method: string; pattern: RegExp; roles: readonly string[]; handler: Handler }

/** Application permissions per call, from each Graph API page's permissions table (least to most privileged). */
const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const USER_WRITE = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];
const GROUP_READ = ['Group.Read.All', 'Group.ReadWrite.All', 'GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const GROUP_WRITE = ['Group.ReadWrite.All', 'Directory.ReadWrite.All'];
const MEMBER_WRITE = ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'];
const DELETED_READ = [...new Set([...USER_READ, ...GROUP_READ])];
const DELETED_WRITE = [...USER_WRITE, 'Group.ReadWrite.All'];
const DOMAIN_READ = ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
/** ENTRA.md §1.1. */
const FED_READ = ['Domain-InternalFederation.Read.All', 'Domain-InternalFederation.ReadWrite.All', 'Domain.Read.All', 'Domain.ReadWrite.All'];
const FED_WRITE = ['Domain-InternalFederation.ReadWrite.All', 'Domain.ReadWrite.All'];
/** "Update domain": changing authenticationType needs Domain-InternalFederation.ReadWrite.All (ENTRA.md §1.3). */
const AUTH_TYPE_WRITE = ['Domain-InternalFederation.ReadWrite.All'];

const SEG = '([^/]+)';
const route = (method: string, path: string, roles: readonly string[], handler: Handler): Route =>
  ({ method, pattern: new RegExp(`^${path.replace(/\{\w+\}/g, SEG).replace(/\$/g, '\\$')}$`), roles, handler });

const routes: Route[] = [
  route('GET', '/users', USER_READ, listUsers),
  route('POST', '/users', USER_WRITE, createUser),
  route('GET', '/users/delta', USER_READ, (r) => delta(r, 'user')),
  route('GET', '/users/delta()', USER_READ, (r) => delta(r, 'user')),
  route('GET', '/users/{id}', USER_READ, getUser),
  route('PATCH', '/users/{id}', USER_WRITE, updateUser),
  route('DELETE', '/users/{id}', USER_WRITE, deleteUser),
  route('GET', '/groups', GROUP_READ, listGroups),
  route('POST', '/groups', GROUP_WRITE, createGroup),
  route('GET', '/groups/delta', GROUP_READ, (r) => delta(r, 'group')),
  route('GET', '/groups/delta()', GROUP_READ, (r) => delta(r, 'group')),
  route('GET', '/groups/{id}', GROUP_READ, getGroup),
  route('PATCH', '/groups/{id}', GROUP_WRITE, updateGroup),
  route('DELETE', '/groups/{id}', GROUP_WRITE, deleteGroup),
  route('GET', '/groups/{id}/members', GROUP_READ, listMembers),
  route('POST', '/groups/{id}/members/$ref', MEMBER_WRITE, addMemberRef),
  route('DELETE', '/groups/{id}/members/{mid}/$ref', MEMBER_WRITE, removeMemberRef),
  route('GET', '/directory/deletedItems/microsoft.graph.user', DELETED_READ, (r) => listDeleted(r, 'user')),
  route('GET', '/directory/deletedItems/microsoft.graph.group', DELETED_READ, (r) => listDeleted(r, 'group')),
  route('GET', '/directory/deletedItems/{id}', DELETED_READ, getDeleted),
  route('POST', '/directory/deletedItems/{id}/restore', DELETED_WRITE, restoreDeleted),
  route('DELETE', '/directory/deletedItems/{id}', DELETED_WRITE, purgeDeleted),
  route('GET', '/domains', DOMAIN_READ, listDomains),
  route('GET', '/domains/{id}', DOMAIN_READ, getDomain),
  route('PATCH', '/domains/{id}', ['Domain.ReadWrite.All', ...AUTH_TYPE_WRITE], (r, id = '') =>
    r.body && typeof r.body === 'object' && 'authenticationType' in r.body && !r.roles.some((x) => AUTH_TYPE_WRITE.includes(x)) ? denied() : updateDomain(r, id)),
  route('GET', '/domains/{id}/federationConfiguration', FED_READ, listFederation),
  route('POST', '/domains/{id}/federationConfiguration', FED_WRITE, createFederation),
  route('GET', '/domains/{id}/federationConfiguration/{fid}', FED_READ, getFederation),
  route('PATCH', '/domains/{id}/federationConfiguration/{fid}', FED_WRITE, updateFederation),
  route('DELETE', '/domains/{id}/federationConfiguration/{fid}', FED_WRITE, deleteFederation),
];

const denied = () => graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

/** Route one Graph call (below `/v1.0`), checking the caller's application permissions first. */
export function dispatch(req: GraphRequest): GraphResponse {
  let pathMatched = false;
  for (const r of routes) {
    const m = r.pattern.exec(req.path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== req.method) continue;
    if (!r.roles.some((role) => req.roles.includes(role))) return denied();
    return r.handler(req, ...m.slice(1).map((s) => decodeURIComponent(s ?? '')));
  }
  if (pathMatched) return graphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
  const segment = req.path.split('/').filter(Boolean).pop() ?? '';
  return graphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
}
