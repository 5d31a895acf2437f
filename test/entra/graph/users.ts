import { randomUUID } from 'node:crypto';
import type { Tenant, User } from '../tenant.js';
import { parseFilter, parseSelect, page, project, type Json } from './query.js';
import { badRequest, conflict, invalidProperty, isObject, notFound, graphError, type GraphRequest, type GraphResponse } from './types.js';

export const USER_TYPE = 'microsoft.graph.user';
const WRITABLE = ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile', 'onPremisesImmutableId',
  'givenName', 'surname', 'mail', 'proxyAddresses', 'jobTitle', 'department', 'usageLocation', 'businessPhones', 'mobilePhone',
  'officeLocation', 'preferredLanguage'] as const;
/** Readable properties; passwordProfile is write-only. */
export const USER_PROPS = ['id', 'deletedDateTime', ...WRITABLE.filter((p) => p !== 'passwordProfile')];
/** Graph v1.0's default user property set. */
export const USER_DEFAULTS = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation',
  'preferredLanguage', 'surname', 'userPrincipalName', 'id'];
const FILTERABLE = ['id', 'onPremisesImmutableId', 'userPrincipalName', 'displayName', 'mail', 'mailNickname'];
/** ENTRA.md §8.2 (Graph "Create user"). */
const REQUIRED = ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile'] as const;

const asJson = (u: User): Json => ({ businessPhones: [], proxyAddresses: [], ...u });

export function listUsers(req: GraphRequest): GraphResponse {
  const select = parseSelect(req, USER_TYPE, USER_PROPS, USER_DEFAULTS);
  if (!Array.isArray(select)) return select;
  const filter = parseFilter(req, FILTERABLE);
  if (filter && typeof filter !== 'function') return filter;
  const users = [...req.tenant.users.values()].map(asJson).filter(filter ?? (() => true)).map((u) => project(u, select));
  const body = page(req, users, `${req.graphBase}/$metadata#users`);
  return 'status' in body ? (body as GraphResponse) : { status: 200, body };
}

/** `/users/{id | userPrincipalName}`. */
export function findUser(tenant: Tenant, key: string): User | undefined {
  return tenant.users.get(key) ?? (key.includes('@') ? tenant.findUserByUpn(key) : undefined);
}

export function getUser(req: GraphRequest, key: string): GraphResponse {
  const user = findUser(req.tenant, key);
  if (!user) return notFound(key);
  const select = parseSelect(req, USER_TYPE, USER_PROPS, USER_DEFAULTS);
  if (!Array.isArray(select)) return select;
  return { status: 200, body: { '@odata.context': `${req.graphBase}/$metadata#users/$entity`, ...project(asJson(user), select) } };
}

export function createUser(req: GraphRequest): GraphResponse {
  const body = req.body;
  if (!isObject(body)) return badRequest('Empty Payload. JSON content expected.');
  const unknown = checkKnown(body);
  if (unknown) return unknown;
  for (const p of REQUIRED) if (body[p] === undefined || body[p] === null) return invalidProperty(p, 'User');
  const user = { id: randomUUID(), onPremisesImmutableId: null, ...pickWritable(body) } as User;
  const invalid = validate(req.tenant, user, undefined);
  if (invalid) return invalid;
  req.tenant.users.set(user.id, user);
  req.tenant.touch('user', user.id);
  return { status: 201, headers: { location: `${req.graphBase}/users/${user.id}` }, body: { '@odata.context': `${req.graphBase}/$metadata#users/$entity`, ...project(asJson(user), USER_DEFAULTS) } };
}

export function updateUser(req: GraphRequest, key: string): GraphResponse {
  const user = findUser(req.tenant, key);
  if (!user) return notFound(key);
  if (!isObject(req.body)) return badRequest('Empty Payload. JSON content expected.');
  const unknown = checkKnown(req.body);
  if (unknown) return unknown;
  const updated = { ...user, ...pickWritable(req.body) } as User;
  const invalid = validate(req.tenant, updated, user);
  if (invalid) return invalid;
  Object.assign(user, updated);
  req.tenant.touch('user', user.id);
  return { status: 204 };
}

export function deleteUser(req: GraphRequest, key: string): GraphResponse {
  const user = findUser(req.tenant, key);
  if (!user || !req.tenant.deleteObject('user', user.id)) return notFound(key);
  return { status: 204 };
}

function checkKnown(body: Json): GraphResponse | undefined {
  const bad = Object.keys(body).find((k) => !k.startsWith('@odata.') && !(WRITABLE as readonly string[]).includes(k));
  return bad === undefined ? undefined : graphError(400, 'BadRequest',
    `Property '${bad}' does not exist on type '${USER_TYPE}'. Make sure to only use property names that are defined by the type or mark the type as open type.`);
}

function pickWritable(body: Json): Partial<User> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => (WRITABLE as readonly string[]).includes(k))) as Partial<User>;
}

/** Property rules for a user as it would be stored; `before` is the stored user on PATCH. */
function validate(tenant: Tenant, u: User, before: User | undefined): GraphResponse | undefined {
  if (typeof u.accountEnabled !== 'boolean') return invalidProperty('accountEnabled', 'User');
  if (typeof u.displayName !== 'string' || u.displayName.length === 0 || u.displayName.length > 256) return invalidProperty('displayName', 'User');
  // Graph "user" resource: mailNickname ≤ 64 ASCII characters without @ ( ) \ [ ] " ; : < > , and space.
  if (typeof u.mailNickname !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(u.mailNickname) || /[@()\\[\]";:<>,]/.test(u.mailNickname)) {
    return invalidProperty('mailNickname', 'User');
  }
  const upn = u.userPrincipalName;
  if (typeof upn !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(upn)) return invalidProperty('userPrincipalName', 'User');
  if (!before || upn.toLowerCase() !== before.userPrincipalName.toLowerCase()) {
    const domain = tenant.domains.get(upn.slice(upn.indexOf('@') + 1).toLowerCase());
    if (!domain?.isVerified) {
      return badRequest('The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.');
    }
    if (tenant.findUserByUpn(upn)) return conflict('userPrincipalName');
  }
  const immutableId = u.onPremisesImmutableId;
  // ENTRA.md §7.3: Graph rejects '$' and '_' in onPremisesImmutableId.
  if (immutableId !== null && (typeof immutableId !== 'string' || immutableId.length === 0 || /[$_]/.test(immutableId))) {
    return invalidProperty('onPremisesImmutableId', 'User');
  }
  // ENTRA.md §8.2: a user whose UPN is in a federated domain needs an ImmutableID (Graph's exact message text unconfirmed).
  if (immutableId === null && tenant.domainForUpn(upn)?.authenticationType === 'Federated') {
    return badRequest("Property 'onPremisesImmutableId' is required for a user in a federated domain.");
  }
  if (immutableId !== null && immutableId !== before?.onPremisesImmutableId) {
    // ENTRA.md §7.4 *(unconfirmed; blog report)*: the ImmutableID of a federated-domain user cannot change.
    if (before?.onPremisesImmutableId && tenant.domainForUpn(before.userPrincipalName)?.authenticationType === 'Federated') {
      return invalidProperty('onPremisesImmutableId', 'User');
    }
    if (tenant.findUserByImmutableId(immutableId)) return conflict('onPremisesImmutableId');
  }
  if (u.proxyAddresses !== undefined) {
    if (!Array.isArray(u.proxyAddresses) || !u.proxyAddresses.every((a) => typeof a === 'string')) return invalidProperty('proxyAddresses', 'User');
    const taken = new Set([...tenant.users.values()].filter((o) => o.id !== u.id).flatMap((o) => o.proxyAddresses ?? []).map((a) => a.toLowerCase()));
    if (u.proxyAddresses.some((a) => taken.has(a.toLowerCase()))) return conflict('proxyAddresses');
  }
  return undefined;
}
