import { randomUUID, randomBytes } from 'node:crypto';
import { newClientCertificate, type ClientCertificate } from './certs.js';

/** Graph `internalDomainFederation` (ENTRA.md §1.2). */
export interface InternalDomainFederation {
  id: string;
  displayName: string;
  issuerUri: string;
  metadataExchangeUri: string | null;
  passiveSignInUri: string;
  activeSignInUri: string | null;
  signOutUri: string;
  signingCertificate: string;
  nextSigningCertificate: string | null;
  preferredAuthenticationProtocol: 'wsFed' | 'saml';
  federatedIdpMfaBehavior: 'acceptIfMfaDoneByFederatedIdp' | 'enforceMfaByFederatedIdp' | 'rejectMfaByFederatedIdp' | null;
  promptLoginBehavior: 'translateToFreshPasswordAuthentication' | 'nativeSupport' | 'disabled' | null;
  isSignedAuthenticationRequestRequired: boolean;
  signingCertificateUpdateStatus: { certificateUpdateResult: string; lastRunDateTime: string } | null;
  passwordResetUri?: string | null;
}

export interface Domain {
  id: string;
  isVerified: boolean;
  isInitial: boolean;
  isDefault: boolean;
  authenticationType: 'Managed' | 'Federated';
  federation: InternalDomainFederation | null;
}

export interface User {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mailNickname: string;
  accountEnabled: boolean;
  onPremisesImmutableId: string | null;
  givenName?: string | null;
  surname?: string | null;
  mail?: string | null;
  proxyAddresses?: string[];
  jobTitle?: string | null;
  department?: string | null;
  usageLocation?: string | null;
  businessPhones?: string[];
  mobilePhone?: string | null;
  officeLocation?: string | null;
  preferredLanguage?: string | null;
  /** Write-only in Graph: kept so tests can see what was set, never returned. */
  passwordProfile?: { password?: string; forceChangePasswordNextSignIn?: boolean } | null;
  deletedDateTime?: string | null;
}

export interface Group {
  id: string;
  displayName: string;
  mailNickname: string;
  mailEnabled: boolean;
  securityEnabled: boolean;
  description?: string | null;
  groupTypes?: string[];
  members: Set<string>;
  deletedDateTime?: string | null;
}

export interface AppRegistration {
  appId: string;
  displayName: string;
  secrets: string[];
  certificates: { thumbprintSha1: string; thumbprintSha256: string; publicKeyPem: string }[];
  /** Application permissions granted, e.g. 'User.ReadWrite.All', 'Domain-InternalFederation.ReadWrite.All'. */
  roles: string[];
}

/** What `addApp` hands a test: the client id and both kinds of credential. */
export interface SeededApp {
  app: AppRegistration;
  clientId: string;
  secret: string;
  certificate: ClientCertificate;
}

/** Deleted users and groups stay restorable this long (ENTRA.md §8.4). */
export const RESTORE_WINDOW_MS = 30 * 24 * 3600 * 1000;

export type ObjectKind = 'user' | 'group';

/** One entry of the change log `/users/delta` and `/groups/delta` read. */
export interface Change {
  seq: number;
  kind: ObjectKind;
  id: string;
  /** 'changed' = soft-deleted (restorable), 'deleted' = purged: Graph's `@removed.reason`. */
  removed: 'changed' | 'deleted' | null;
}

/** The state of one Entra tenant. Graph handlers validate; this class only holds and indexes. */
export class Tenant {
  readonly id: string;
  readonly initialDomain: string;
  domains = new Map<string, Domain>();
  users = new Map<string, User>();
  groups = new Map<string, Group>();
  apps = new Map<string, AppRegistration>();
  deletedUsers = new Map<string, User>();
  deletedGroups = new Map<string, Group>();
  /** Append-only change log; its length is the current delta watermark. */
  changes: Change[] = [];
  /** The double's clock, so tests can move time (e.g. past the 30-day restore window). */
  now: () => Date = () => new Date();

  constructor(opts: { id?: string; initialDomain?: string } = {}) {
    this.id = opts.id ?? randomUUID();
    this.initialDomain = (opts.initialDomain ?? 'contosotest.onmicrosoft.com').toLowerCase();
    this.domains.set(this.initialDomain, {
      id: this.initialDomain, isVerified: true, isInitial: true, isDefault: true,
      authenticationType: 'Managed', federation: null,
    });
  }

  addDomain(name: string, opts: { isVerified?: boolean; isDefault?: boolean } = {}): Domain {
    const id = name.toLowerCase();
    if (opts.isDefault) for (const d of this.domains.values()) d.isDefault = false;
    const domain: Domain = {
      id, isVerified: opts.isVerified ?? true, isInitial: false, isDefault: opts.isDefault ?? false,
      authenticationType: 'Managed', federation: null,
    };
    this.domains.set(id, domain);
    return domain;
  }

  /** Seed a federation configuration directly (Graph's POST adds the validation, ENTRA.md §1.3). */
  federate(
    domainName: string,
    federation: Partial<InternalDomainFederation> & { issuerUri: string; passiveSignInUri: string; signingCertificate: string },
  ): InternalDomainFederation {
    const domain = this.domains.get(domainName.toLowerCase());
    if (!domain) throw new Error(`no domain ${domainName}`);
    const full: InternalDomainFederation = {
      id: randomUUID(),
      displayName: domain.id,
      metadataExchangeUri: null,
      activeSignInUri: null,
      signOutUri: federation.passiveSignInUri,
      nextSigningCertificate: null,
      preferredAuthenticationProtocol: 'wsFed',
      federatedIdpMfaBehavior: null,
      promptLoginBehavior: null,
      isSignedAuthenticationRequestRequired: false,
      signingCertificateUpdateStatus: null,
      ...federation,
    };
    domain.federation = full;
    domain.authenticationType = 'Federated';
    return full;
  }

  addUser(u: Partial<User> & { userPrincipalName: string }): User {
    const nick = u.userPrincipalName.split('@')[0] ?? u.userPrincipalName;
    const user: User = {
      id: randomUUID(), displayName: nick, mailNickname: nick, accountEnabled: true, onPremisesImmutableId: null, ...u,
    };
    this.users.set(user.id, user);
    this.touch('user', user.id);
    return user;
  }

  addGroup(g: Partial<Omit<Group, 'members'>> & { displayName: string; members?: Iterable<string> }): Group {
    const group: Group = {
      id: randomUUID(), mailNickname: g.displayName.replace(/\W/g, ''), mailEnabled: false, securityEnabled: true, ...g,
      members: new Set(g.members ?? []),
    };
    this.groups.set(group.id, group);
    this.touch('group', group.id);
    return group;
  }

  /** Register an app with a fresh secret and a fresh certificate; `roles` are its application permissions. */
  async addApp(opts: { displayName?: string; roles: string[] }): Promise<SeededApp> {
    const certificate = await newClientCertificate(opts.displayName ?? 'gatehouse-test-app');
    const secret = randomBytes(30).toString('base64url');
    const app: AppRegistration = {
      appId: randomUUID(), displayName: opts.displayName ?? 'gatehouse-test-app', secrets: [secret], roles: [...opts.roles],
      certificates: [{ thumbprintSha1: certificate.thumbprintSha1, thumbprintSha256: certificate.thumbprintSha256, publicKeyPem: certificate.publicKeyPem }],
    };
    this.apps.set(app.appId, app);
    return { app, clientId: app.appId, secret, certificate };
  }

  /** ENTRA.md §4.1: the domain that governs a UPN suffix (a subdomain inherits its parent federated domain). */
  domainForUpn(upn: string): Domain | undefined {
    const at = upn.lastIndexOf('@');
    if (at < 0) return undefined;
    const labels = upn.slice(at + 1).toLowerCase().split('.');
    let nearest: Domain | undefined;
    for (let i = 0; i < labels.length - 1; i++) {
      const domain = this.domains.get(labels.slice(i).join('.'));
      if (!domain) continue;
      if (domain.authenticationType === 'Federated') return domain;
      nearest ??= domain;
    }
    return nearest;
  }

  /** ENTRA.md §2.11: the federated domain whose issuerUri is exactly this issuer. */
  federatedDomainByIssuer(issuer: string): Domain | undefined {
    for (const d of this.domains.values()) if (d.federation?.issuerUri === issuer) return d;
    return undefined;
  }

  /** Case-sensitive, ENTRA.md §7.3. */
  findUserByImmutableId(immutableId: string): User | undefined {
    for (const u of this.users.values()) if (u.onPremisesImmutableId === immutableId) return u;
    return undefined;
  }

  /** Case-insensitive, as Entra matches UPNs. */
  findUserByUpn(upn: string): User | undefined {
    const wanted = upn.toLowerCase();
    for (const u of this.users.values()) if (u.userPrincipalName.toLowerCase() === wanted) return u;
    return undefined;
  }

  /** Record a change for delta queries. */
  touch(kind: ObjectKind, id: string, removed: Change['removed'] = null): void {
    this.changes.push({ seq: this.changes.length + 1, kind, id, removed });
  }

  /** Soft delete (ENTRA.md §8.4): the object moves to deleted items and leaves every group. */
  deleteObject(kind: ObjectKind, id: string): boolean {
    const live = kind === 'user' ? this.users : this.groups;
    const deleted: Map<string, User | Group> = kind === 'user' ? this.deletedUsers : this.deletedGroups;
    const obj = live.get(id);
    if (!obj) return false;
    live.delete(id);
    obj.deletedDateTime = this.now().toISOString();
    deleted.set(id, obj);
    for (const g of this.groups.values()) if (g.members.delete(id)) this.touch('group', g.id);
    this.touch(kind, id, 'changed');
    return true;
  }

  /** A deleted item still inside the 30-day window, or undefined (expired items are purged on sight). */
  deletedItem(id: string): { kind: ObjectKind; obj: User | Group } | undefined {
    this.expireDeletedItems();
    const user = this.deletedUsers.get(id);
    if (user) return { kind: 'user', obj: user };
    const group = this.deletedGroups.get(id);
    return group ? { kind: 'group', obj: group } : undefined;
  }

  restoreObject(id: string): User | Group | undefined {
    const item = this.deletedItem(id);
    if (!item) return undefined;
    (item.kind === 'user' ? this.deletedUsers : this.deletedGroups).delete(id);
    item.obj.deletedDateTime = null;
    if (item.kind === 'user') this.users.set(id, item.obj as User);
    else this.groups.set(id, item.obj as Group);
    this.touch(item.kind, id);
    return item.obj;
  }

  purgeObject(id: string): boolean {
    const item = this.deletedItem(id);
    if (!item) return false;
    (item.kind === 'user' ? this.deletedUsers : this.deletedGroups).delete(id);
    this.touch(item.kind, id, 'deleted');
    return true;
  }

  expireDeletedItems(): void {
    const cutoff = this.now().getTime() - RESTORE_WINDOW_MS;
    for (const [kind, map] of [['user', this.deletedUsers], ['group', this.deletedGroups]] as const) {
      for (const [id, obj] of map) {
        if (Date.parse(obj.deletedDateTime ?? '') <= cutoff) {
          map.delete(id);
          this.touch(kind, id, 'deleted');
        }
      }
    }
  }
}
