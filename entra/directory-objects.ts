import { randomBytes } from 'node:crypto';
import type { BatchOutcome, GraphClient, GraphRequest } from './graph-client.js';
import { GraphError } from './graph-error.js';

/** A user as sync matches it: onPremisesImmutableId comes back only when selected (ENTRA.md §7.3). */
export interface EntraUser {
  id: string;
  userPrincipalName: string;
  onPremisesImmutableId: string | null;
  proxyAddresses?: string[] | null;
}

/** A group as sync matches it: Graph cannot give a group an on-premises anchor, so by mailNickname. */
export interface EntraGroup {
  id: string;
  mailNickname: string;
  displayName: string;
}

/** Entra properties of a user or group, as written to Graph (null clears a property on update). */
export type EntraProperties = Record<string, unknown>;

/** Graph "Update group": at most 20 references per `members@odata.bind`. */
export const MAX_MEMBERS_PER_BIND = 20;
/** Graph's largest page for users and groups: one request per 999 objects. */
const PAGE = 999;
const USER_SELECT = ['id', 'userPrincipalName', 'onPremisesImmutableId', 'proxyAddresses'];
const GROUP_SELECT = ['id', 'mailNickname', 'displayName'];

const withoutNulls = (o: EntraProperties) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
/** OData string literal: a quote is doubled (OData 4.01 ABNF, SQUOTE-in-string). */
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** Create, update and delete requests of one kind of directory object. */
export interface ObjectRequests {
  create(properties: EntraProperties): GraphRequest;
  update(id: string, changes: EntraProperties): GraphRequest;
  delete(id: string): GraphRequest;
}

function objectRequests(collection: '/users' | '/groups', create: (properties: EntraProperties) => unknown): ObjectRequests {
  return {
    // Null properties are left out of a create: there is nothing to clear yet.
    create: (properties) => ({ method: 'POST', url: collection, body: create(withoutNulls(properties)) }),
    update: (id, changes) => ({ method: 'PATCH', url: `${collection}/${id}`, body: changes }),
    // Users and groups go to deletedItems, restorable for 30 days (ENTRA.md §8.4).
    delete: (id) => ({ method: 'DELETE', url: `${collection}/${id}` }),
  };
}

/**
 * The users and groups writes sync sends through `$batch`, built in one place with their Graph
 * paths and OData bodies. `graphBase` (…/v1.0) makes the absolute directoryObjects references
 * `members@odata.bind` and `$ref` take.
 */
export class DirectoryObjectRequests {
  readonly users: ObjectRequests;
  readonly groups: ObjectRequests & {
    /** Adds up to MAX_MEMBERS_PER_BIND members in one PATCH (Graph "Update group"). */
    addMembers(groupId: string, memberIds: string[]): GraphRequest;
    /** Adds one member (`POST …/members/$ref`). */
    addMember(groupId: string, memberId: string): GraphRequest;
    removeMember(groupId: string, memberId: string): GraphRequest;
  };
  readonly deletedItems: { restore(id: string): GraphRequest };

  constructor(private readonly graphBase: string) {
    // ENTRA.md §8.2: a password is required; federated users never use it.
    this.users = objectRequests('/users', (p) => ({ ...p, passwordProfile: { password: `${randomBytes(24).toString('base64url')}aA1!`, forceChangePasswordNextSignIn: false } }));
    this.groups = {
      ...objectRequests('/groups', (p) => p),
      addMembers: (groupId, memberIds) => {
        if (memberIds.length > MAX_MEMBERS_PER_BIND) throw new Error(`at most ${MAX_MEMBERS_PER_BIND} members per members@odata.bind`);
        return { method: 'PATCH', url: `/groups/${groupId}`, body: { 'members@odata.bind': memberIds.map((id) => this.ref(id)) } };
      },
      addMember: (groupId, memberId) => ({ method: 'POST', url: `/groups/${groupId}/members/$ref`, body: { '@odata.id': this.ref(memberId) } }),
      removeMember: (groupId, memberId) => ({ method: 'DELETE', url: `/groups/${groupId}/members/${memberId}/$ref` }),
    };
    this.deletedItems = { restore: (id) => ({ method: 'POST', url: `/directory/deletedItems/${id}/restore` }) };
  }

  private ref(id: string): string {
    return `${this.graphBase}/directoryObjects/${id}`;
  }
}

/** Reads of users. */
export class Users {
  constructor(private readonly graph: GraphClient) {}

  /** Every user with the properties sync matches on, 999 a page. */
  list(): Promise<EntraUser[]> {
    return this.graph.listAll<EntraUser>(`/users?$select=${USER_SELECT.join(',')}&$top=${PAGE}`);
  }

  /** The user whose onPremisesImmutableId is exactly `immutableId` (case-sensitive, ENTRA.md §7.3). */
  async findByImmutableId(immutableId: string): Promise<EntraUser | undefined> {
    const filter = encodeURIComponent(`onPremisesImmutableId eq ${literal(immutableId)}`);
    const page = await this.graph.get<{ value: EntraUser[] }>(`/users?$filter=${filter}&$select=${USER_SELECT.join(',')}`);
    return page.value[0];
  }
}

/** Reads of groups. */
export class Groups {
  constructor(private readonly graph: GraphClient) {}

  /** Every group with the properties sync matches on, 999 a page. */
  list(): Promise<EntraGroup[]> {
    return this.graph.listAll<EntraGroup>(`/groups?$select=${GROUP_SELECT.join(',')}&$top=${PAGE}`);
  }
}

/** What a batch answer means for the object it wrote. */
export const outcome = {
  /** 2xx: Graph did it. */
  succeeded: (o: BatchOutcome) => o.status >= 200 && o.status < 300,
  /** 404: the object (or membership) is not there, e.g. already deleted or purged. */
  notFound: (o: BatchOutcome) => o.status === 404,
  /** The id of the object a create made (201 Created). */
  createdId: (o: BatchOutcome): string | undefined => {
    const id = (o.body as { id?: unknown } | undefined)?.id;
    return o.status === 201 && typeof id === 'string' ? id : undefined;
  },
  /** Graph's answer to adding a member the group has: 400 "…already exist…". */
  alreadyMember: (o: BatchOutcome) => o.status === 400 && /already exist/i.test(GraphError.from(o).summary),
  /** `status code: message` of a failed answer. */
  failure: (o: BatchOutcome) => GraphError.from(o).summary,
};
