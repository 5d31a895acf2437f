import type { Entry, Filter } from 'ldapts';
import { Attribute, Change, ResultCodeError } from 'ldapts';
import { bindFailureReason, changeFailureReason } from './ad-errors.js';
import { byCertificate, byObjectGuid, bySam, byUpn, groupsBySid } from './filters.js';
import { guidToBytes } from './guid.js';
import { unicodePwd, validChangeInput } from './password-change.js';
import { DcPool, DirectoryUnavailable, type DcState } from './pool.js';
import { sidToString } from './sid.js';
import { binaryAttributes, buffers, toDirectoryUser, userAttributes } from './user-entry.js';
import { parseUsername, type ParsedUsername } from './username.js';
import type { AuthResult, ChangePasswordResult, DcHealth, Directory, DirectoryGroup, DirectoryLogger, DirectoryUser, UserQuery } from './types.js';

export interface LdapDirectoryOptions {
  /** ldaps://host[:port] or ldap://host[:port] (then StartTLS), tried in this order. */
  dcs: string[];
  startTls?: boolean;
  caCertPem?: string;
  rejectUnauthorized?: boolean;
  baseDn: string;
  serviceAccount: { dn: string; password: string };
  /** NETBIOS domain accepted in `DOMAIN\sam`; when unset any domain part is accepted. */
  domainNetbios?: string;
  /** Extra LDAP attributes loaded into `DirectoryUser.attributes` for claim rules. */
  attributes?: string[];
  connectTimeoutMs?: number;
  operationTimeoutMs?: number;
  retryDownAfterMs?: number;
  logger?: DirectoryLogger;
}

// Groups are named in batches: one OR filter per 100 SIDs keeps each request small.
const sidBatch = 100;

/** Active Directory over LDAP(S) with ldapts (ARCHITECTURE.md "directory/"). */
export class LdapDirectory implements Directory {
  private readonly pool: DcPool;
  private readonly attributes: string[];
  private readonly dnsDomain: string;

  constructor(private readonly options: LdapDirectoryOptions) {
    const plain = options.dcs.filter((url) => !url.startsWith('ldaps://'));
    if (plain.length > 0 && !options.startTls) {
      // Never a simple bind in clear text: hardened AD refuses it anyway (strongerAuthRequired).
      throw new Error(`directory: ${plain.join(', ')} is not ldaps:// and startTls is off`);
    }
    const tls = { ...(options.caCertPem ? { ca: options.caCertPem } : {}), rejectUnauthorized: options.rejectUnauthorized ?? true };
    this.pool = new DcPool({
      dcs: options.dcs,
      startTls: options.startTls ?? false,
      tls,
      serviceAccount: options.serviceAccount,
      connectTimeoutMs: options.connectTimeoutMs ?? 1000,
      operationTimeoutMs: options.operationTimeoutMs ?? 5000,
      retryDownAfterMs: options.retryDownAfterMs ?? 30_000,
      maxIdle: 8,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.attributes = userAttributes(options.attributes ?? []);
    this.dnsDomain = options.baseDn.split(',').map((rdn) => rdn.trim()).filter((rdn) => /^dc=/i.test(rdn)).map((rdn) => rdn.slice(3)).join('.');
  }

  /** The pool's view of each DC (down marks, last error, failover count), for health and tests. */
  dcStatus(): DcState[] {
    return this.pool.status();
  }

  async authenticate(username: string, password: string): Promise<AuthResult> {
    // An empty simple bind is an unauthenticated bind that "succeeds" (RFC 4513 §5.1.2).
    if (typeof password !== 'string' || password.length === 0) return { ok: false, reason: 'invalid-input' };
    try {
      const entry = await this.locate(username);
      if (typeof entry === 'string') return { ok: false, reason: entry };
      try {
        await this.pool.bind(entry.dn, password);
      } catch (err) {
        if (!(err instanceof ResultCodeError)) throw err;
        const reason = bindFailureReason(err.code, err.message);
        if (reason === 'directory-unavailable') this.options.logger?.error({ code: err.code, error: err.message }, 'directory: unexpected bind answer');
        const upn = this.upnOf(entry);
        return { ok: false, reason, ...(upn ? { upn } : {}) };
      }
      const user = await this.complete(entry);
      return user ? { ok: true, user } : { ok: false, reason: 'directory-unavailable' };
    } catch (err) {
      this.logFailure('authenticate', err);
      return { ok: false, reason: 'directory-unavailable' };
    }
  }

  /** The entry a typed user name (UPN, DOMAIN\sam or sam) signs in as, or why there is none. */
  private async locate(username: string): Promise<Entry | 'invalid-input' | 'no-such-user'> {
    const parsed = parseUsername(username);
    if (!parsed) return 'invalid-input';
    const filter = this.signInFilter(parsed);
    if (!filter) return 'no-such-user';
    return (await this.searchOne(filter)) ?? 'no-such-user';
  }

  /**
   * The user's own change: one modify deleting the old unicodePwd value and adding the new one,
   * which AD checks against the old password and the password policy (MS-ADTS 3.1.1.3.1.5.2) —
   * unlike a replace, which is an administrator's reset. Samba refuses it on an anonymous
   * connection (00002020) and a bind as the user fails while the password is expired, so it runs
   * on the service account's connection; the right used is User-Change-Password, granted to Everyone.
   */
  async changePassword(username: string, oldPassword: string, newPassword: string): Promise<ChangePasswordResult> {
    if (!validChangeInput(username, oldPassword, newPassword)) return { ok: false, reason: 'invalid-input' };
    try {
      const entry = await this.locate(username.trim());
      if (typeof entry === 'string') return { ok: false, reason: entry };
      const upn = this.upnOf(entry);
      const who = upn ? { upn } : {};
      try {
        await this.pool.withService((client) => client.modify(entry.dn, [
          new Change({ operation: 'delete', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(oldPassword)] }) }),
          new Change({ operation: 'add', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(newPassword)] }) }),
        ]));
      } catch (err) {
        if (!(err instanceof ResultCodeError)) throw err;
        const reason = changeFailureReason(err.code, err.message);
        if (reason === 'directory-unavailable') this.options.logger?.error({ code: err.code, error: err.message }, 'directory: unexpected password change answer');
        return { ok: false, reason, ...who };
      }
      return { ok: true, ...who };
    } catch (err) {
      this.logFailure('changePassword', err);
      return { ok: false, reason: 'directory-unavailable' };
    }
  }

  /** null when nothing (or more than one entry) matches; throws DirectoryUnavailable when no DC answers. */
  async findUser(query: UserQuery): Promise<DirectoryUser | null> {
    const filter = this.filterFor(query);
    if (!filter) return null;
    try {
      const entry = await this.searchOne(filter);
      return entry ? await this.complete(entry) : null;
    } catch (err) {
      this.logFailure('findUser', err);
      throw err instanceof DirectoryUnavailable ? err : new DirectoryUnavailable([String(err)]);
    }
  }

  checkHealth(): Promise<DcHealth[]> {
    return this.pool.checkHealth();
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private filterFor(query: UserQuery): Filter | null {
    if ('upn' in query) return parseUsername(query.upn) ? byUpn(query.upn) : null;
    if ('sam' in query) return parseUsername(query.sam) ? bySam(query.sam) : null;
    if ('objectGuid' in query) {
      const bytes = guidToBytes(query.objectGuid);
      return bytes ? byObjectGuid(bytes) : null;
    }
    const { upn, altSecurityIdentity } = query.certificate;
    return byCertificate(upn && parseUsername(upn) ? upn : undefined, altSecurityIdentity && parseUsername(altSecurityIdentity) ? altSecurityIdentity : undefined);
  }

  /** The search for a typed sign-in name; null for `OTHERDOMAIN\sam`, which no user here has. */
  private signInFilter(parsed: ParsedUsername): Filter | null {
    if (parsed.kind === 'upn') return byUpn(parsed.upn);
    if (parsed.domain && this.options.domainNetbios && parsed.domain.toUpperCase() !== this.options.domainNetbios.toUpperCase()) return null;
    return bySam(parsed.sam);
  }

  private upnOf(entry: Entry): string | undefined {
    const value = entry.userPrincipalName;
    return typeof value === 'string' ? value : undefined;
  }

  /** Exactly one match, or null: an ambiguous name must not pick someone. */
  private async searchOne(filter: Filter): Promise<Entry | null> {
    const { searchEntries } = await this.pool.withService((client) => client.search(this.options.baseDn, {
      scope: 'sub',
      filter,
      attributes: this.attributes,
      explicitBufferAttributes: binaryAttributes,
      sizeLimit: 2,
    }));
    if (searchEntries.length > 1) this.options.logger?.warn({ count: searchEntries.length }, 'directory: ambiguous user lookup matched several entries');
    return searchEntries.length === 1 ? searchEntries[0] ?? null : null;
  }

  private async complete(entry: Entry): Promise<DirectoryUser | null> {
    const user = toDirectoryUser(entry, await this.groupsOf(entry.dn), this.dnsDomain);
    if (!user) this.options.logger?.error({ dn: entry.dn }, 'directory: user entry lacks objectGUID or sAMAccountName');
    return user;
  }

  /**
   * Every group, nested ones and the primary group included: tokenGroups, which AD computes
   * only on a base-scope read of the user (MS-ADTS 3.1.1.4.5.19), then the SIDs named.
   */
  private async groupsOf(dn: string): Promise<DirectoryGroup[]> {
    return this.pool.withService(async (client) => {
      const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['tokenGroups'], explicitBufferAttributes: ['tokenGroups'] });
      const sids = searchEntries[0] ? buffers(searchEntries[0], 'tokenGroups') : [];
      const groups: DirectoryGroup[] = [];
      for (let i = 0; i < sids.length; i += sidBatch) {
        const found = await client.search(this.options.baseDn, {
          scope: 'sub',
          filter: groupsBySid(sids.slice(i, i + sidBatch)),
          attributes: ['cn', 'objectSid'],
          explicitBufferAttributes: ['objectSid'],
        });
        for (const group of found.searchEntries) {
          const [sidBytes] = buffers(group, 'objectSid');
          const sid = sidBytes ? sidToString(sidBytes) : null;
          groups.push({ dn: group.dn, name: typeof group.cn === 'string' ? group.cn : group.dn, ...(sid ? { sid } : {}) });
        }
      }
      return groups.sort((a, b) => a.dn.localeCompare(b.dn));
    });
  }

  private logFailure(operation: string, err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    this.options.logger?.error({ operation, error }, 'directory: operation failed');
  }
}
