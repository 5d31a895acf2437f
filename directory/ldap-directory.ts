import type { Entry, Filter } from 'ldapts';
import { Attribute, Change, ResultCodeError } from 'ldapts';
import { bindFailureReason, changeFailureReason } from './ad-errors.js';
import { ownAccount, parseUsername, validAltSecurityIdentity, validPassword, type ParsedUsername } from './credentials.js';
import { byAltSecurityIdentities, bySam, byUpn, domainCrossRef, groupsBySid, isUser, passwordSettings, rootDse } from './filters.js';
import { guidFromBytes, guidToBytes } from './guid.js';
import { unicodePwd } from './password-change.js';
import { GroupNames } from './group-names.js';
import { DcPool, DirectoryUnavailable, type DcState } from './pool.js';
import { sidToString } from './sid.js';
import { binaryAttributes, buffers, toDirectoryUser, userAttributes } from './user-entry.js';
import type { AdLockoutPolicy, AuthResult, ChangePasswordResult, DcHealth, Directory, DirectoryGroup, DirectoryLogger, DirectoryUser, LdapTimer, LocatedAccount, LocateResult, UserQuery } from './types.js';

export interface LdapDirectoryOptions {
  /** ldaps://host[:port] or ldap://host[:port] (then StartTLS), tried in this order. */
  dcs: string[];
  startTls: boolean;
  caCertPem?: string;
  rejectUnauthorized?: boolean;
  baseDn: string;
  serviceAccount: { dn: string; password: string };
  /** NetBIOS domain accepted in `DOMAIN\sam`; read from the domain's crossRef when unset. */
  domainNetbios?: string;
  /** Extra LDAP attributes loaded into `DirectoryUser.attributes` for claim rules. */
  attributes?: string[];
  /** The tuning below comes from the config's `directory` section; its defaults live in config/schema.ts. */
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  retryDownAfterMs: number;
  /** Connections per DC, for lookups and for binds each; callers beyond wait up to queueTimeoutMs, maxQueued of them. */
  poolSize: number;
  queueTimeoutMs: number;
  maxQueued: number;
  /** How long a group SID's name is remembered (s); 0: not at all. */
  groupCacheSeconds: number;
  logger?: DirectoryLogger;
  /** Told of every bind, search and modify with its duration (the /metrics histograms). */
  timer?: LdapTimer;
}

// Groups are named in batches: one OR filter per 100 SIDs keeps each request small.
const sidBatch = 100;

/** What `locate` found: the user's entry, or none for a name no account has. */
class LdapAccount implements LocatedAccount {
  constructor(readonly key: string, readonly entry: Entry | null, readonly upn?: string) {}
}

/** Active Directory over LDAP(S) with ldapts (ARCHITECTURE.md "directory/"). */
export class LdapDirectory implements Directory {
  private readonly pool: DcPool;
  private readonly attributes: string[];
  private readonly dnsDomain: string;
  /** The domain naming context: the DC= part of the base DN. */
  private readonly domainNc: string;
  private netbios: Promise<string> | undefined;
  private readonly groupNames: GroupNames;

  constructor(private readonly options: LdapDirectoryOptions) {
    const plain = options.dcs.filter((url) => !url.startsWith('ldaps://'));
    if (plain.length > 0 && !options.startTls) {
      // Never a simple bind in clear text: hardened AD refuses it anyway (strongerAuthRequired).
      throw new Error(`directory: ${plain.join(', ')} is not ldaps:// and startTls is off`);
    }
    const tls = { ...(options.caCertPem ? { ca: options.caCertPem } : {}), rejectUnauthorized: options.rejectUnauthorized ?? true };
    this.pool = new DcPool({
      dcs: options.dcs,
      startTls: options.startTls,
      tls,
      serviceAccount: options.serviceAccount,
      connectTimeoutMs: options.connectTimeoutMs,
      operationTimeoutMs: options.operationTimeoutMs,
      retryDownAfterMs: options.retryDownAfterMs,
      poolSize: options.poolSize,
      queueTimeoutMs: options.queueTimeoutMs,
      maxQueued: options.maxQueued,
      failFastWhenSilent: true,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.timer ? { timer: options.timer } : {}),
    });
    this.attributes = userAttributes(options.attributes ?? []);
    this.groupNames = new GroupNames(options.groupCacheSeconds * 1000);
    const dcs = options.baseDn.split(',').map((rdn) => rdn.trim()).filter((rdn) => /^dc=/i.test(rdn));
    this.dnsDomain = dcs.map((rdn) => rdn.slice(3)).join('.');
    this.domainNc = dcs.join(',');
  }

  /** The pool's view of each DC (down marks, last error, failover count), for health and tests. */
  dcStatus(): DcState[] {
    return this.pool.status();
  }

  async locate(username: string): Promise<LocateResult> {
    const parsed = parseUsername(username.trim());
    if (!parsed) return { ok: false, reason: 'invalid-input' };
    try {
      const filter = await this.signInFilter(parsed);
      const entry = filter ? await this.searchOne(filter) : null;
      if (!entry) return { ok: true, account: new LdapAccount(`name:${this.canonicalName(parsed, !filter)}`, null) };
      const [guid] = buffers(entry, 'objectGUID');
      return { ok: true, account: new LdapAccount(guid ? `guid:${guidFromBytes(guid)}` : `dn:${entry.dn.toLowerCase()}`, entry, this.upnOf(entry)) };
    } catch (err) {
      this.logFailure('locate', err);
      return { ok: false, reason: 'directory-unavailable' };
    }
  }

  async authenticate(who: string | LocatedAccount, password: string): Promise<AuthResult> {
    // Before any lookup: an empty simple bind is an unauthenticated bind that "succeeds" (RFC 4513 §5.1.2).
    if (!validPassword(password)) return { ok: false, reason: 'invalid-input' };
    const account = await ownAccount(who, LdapAccount, (name) => this.locate(name));
    if (!(account instanceof LdapAccount)) return account;
    const { entry } = account;
    if (!entry) return { ok: false, reason: 'no-such-user' };
    try {
      try {
        await this.pool.bind(entry.dn, password);
      } catch (err) {
        if (!(err instanceof ResultCodeError)) throw err;
        const reason = bindFailureReason(err.code, err.message);
        if (reason === 'directory-unavailable') this.options.logger?.error({ code: err.code, error: err.message }, 'directory: unexpected bind answer');
        return { ok: false, reason, ...(account.upn ? { upn: account.upn } : {}) };
      }
      const user = await this.complete(entry);
      return user ? { ok: true, user } : { ok: false, reason: 'directory-unavailable' };
    } catch (err) {
      this.logFailure('authenticate', err);
      return { ok: false, reason: 'directory-unavailable' };
    }
  }

  /**
   * The user's own change: one modify deleting the old unicodePwd value and adding the new one,
   * which AD checks against the old password and the password policy (MS-ADTS 3.1.1.3.1.5.2) —
   * unlike a replace, which is an administrator's reset. Samba refuses it on an anonymous
   * connection (00002020) and a bind as the user fails while the password is expired, so it runs
   * on the service account's connection; the right used is User-Change-Password, granted to Everyone.
   */
  async changePassword(who: string | LocatedAccount, oldPassword: string, newPassword: string): Promise<ChangePasswordResult> {
    // The name is checked by `locate`.
    if (!validPassword(oldPassword) || !validPassword(newPassword)) return { ok: false, reason: 'invalid-input' };
    const account = await ownAccount(who, LdapAccount, (name) => this.locate(name));
    if (!(account instanceof LdapAccount)) return account;
    const { entry, upn } = account;
    if (!entry) return { ok: false, reason: 'no-such-user' };
    const named = upn ? { upn } : {};
    try {
      try {
        await this.pool.withService((client) => client.modify(entry.dn, [
          new Change({ operation: 'delete', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(oldPassword)] }) }),
          new Change({ operation: 'add', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(newPassword)] }) }),
        ]), 'modify');
      } catch (err) {
        if (!(err instanceof ResultCodeError)) throw err;
        const reason = changeFailureReason(err.code, err.message);
        if (reason === 'directory-unavailable') this.options.logger?.error({ code: err.code, error: err.message }, 'directory: unexpected password change answer');
        return { ok: false, reason, ...named };
      }
      return { ok: true, ...named };
    } catch (err) {
      this.logFailure('changePassword', err);
      return { ok: false, reason: 'directory-unavailable' };
    }
  }

  /** null when nothing (or more than one entry) matches; throws DirectoryUnavailable when no DC answers. */
  async findUser(query: UserQuery): Promise<DirectoryUser | null> {
    try {
      if ('objectGuid' in query) return await this.findByGuid(query.objectGuid);
      const filter = this.filterFor(query);
      if (!filter) return null;
      const entry = await this.searchOne(filter);
      return entry ? await this.complete(entry) : null;
    } catch (err) {
      this.logFailure('findUser', err);
      throw err instanceof DirectoryUnavailable ? err : new DirectoryUnavailable([String(err)]);
    }
  }

  /**
   * The SSO re-read in one operation: a base-scope read of `<GUID=…>` (MS-ADTS 3.1.1.3.1.2.4
   * alternative DN forms) returns the attributes and tokenGroups together, which AD computes only
   * on a base-scope read (MS-ADTS 3.1.1.4.5.19). An object outside the base DN is no user of ours.
   */
  private async findByGuid(objectGuid: string): Promise<DirectoryUser | null> {
    const bytes = guidToBytes(objectGuid);
    if (!bytes) return null;
    const { searchEntries } = await this.pool.withService((client) => client.search(`<GUID=${guidFromBytes(bytes)}>`, {
      scope: 'base',
      filter: isUser(),
      attributes: [...this.attributes, 'tokenGroups'],
      explicitBufferAttributes: binaryAttributes,
    })).catch((err: unknown) => {
      // noSuchObject: no object has that GUID (any more).
      if (err instanceof ResultCodeError && err.code === 32) return { searchEntries: [] };
      throw err;
    });
    const entry = searchEntries[0];
    if (!entry || !this.underBase(entry.dn)) return null;
    return this.complete(entry, buffers(entry, 'tokenGroups'));
  }

  private underBase(dn: string): boolean {
    const norm = (s: string) => s.split(',').map((rdn) => rdn.trim().toLowerCase()).join(',');
    const base = norm(this.options.baseDn);
    const own = norm(dn);
    return own === base || own.endsWith(`,${base}`);
  }

  /**
   * The domain object's lockoutThreshold and every PSO's msDS-LockoutThreshold (MS-ADTS 3.1.1.3.1.5;
   * the PSOs live in CN=Password Settings Container,CN=System of the domain). A PSO container the
   * service account may not read is reported as such, not as "no PSOs".
   */
  async lockoutPolicy(): Promise<AdLockoutPolicy> {
    const number = (v: unknown) => Number((Array.isArray(v) ? v[0] : v) ?? 0) || 0;
    const domain = await this.pool.withService((client) => client.search(this.domainNc, { scope: 'base', attributes: ['lockoutThreshold'] }));
    const psos = await this.pool
      .withService((client) => client.search(`CN=Password Settings Container,CN=System,${this.domainNc}`, { scope: 'one', filter: passwordSettings(), attributes: ['cn', 'msDS-LockoutThreshold'] }))
      .then(({ searchEntries }) => searchEntries, (err: unknown) => {
        if (err instanceof ResultCodeError) return undefined;
        throw err;
      });
    return {
      domain: number(domain.searchEntries[0]?.lockoutThreshold),
      psos: (psos ?? []).map((e) => ({ name: String(e.cn), threshold: number(e['msDS-LockoutThreshold']) })),
      psosReadable: psos !== undefined,
    };
  }

  checkHealth(): Promise<DcHealth[]> {
    return this.pool.checkHealth();
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private filterFor(query: Exclude<UserQuery, { objectGuid: string }>): Filter | null {
    if ('upn' in query) return parseUsername(query.upn) ? byUpn(query.upn) : null;
    if ('sam' in query) return parseUsername(query.sam) ? bySam(query.sam) : null;
    const values = query.altSecurityIdentities.filter(validAltSecurityIdentity);
    return values.length > 0 ? byAltSecurityIdentities(values) : null;
  }

  /**
   * The search for a typed sign-in name; null for `OTHERDOMAIN\sam`, which no user here has. AD
   * would not take it either: a DOMAIN\ part names the domain, and a guessed one must not become
   * another spelling of the same account (each spelling with its own lockout count).
   */
  private async signInFilter(parsed: ParsedUsername): Promise<Filter | null> {
    if (parsed.kind === 'upn') return byUpn(parsed.upn);
    if (parsed.domain && parsed.domain.toUpperCase() !== (await this.netbiosDomain()).toUpperCase()) return null;
    return bySam(parsed.sam);
  }

  /** The key of a name no account has: the UPN as typed, else sam@dns-domain (DOMAIN\ as typed when foreign). */
  private canonicalName(parsed: ParsedUsername, foreign: boolean): string {
    if (parsed.kind === 'upn') return parsed.upn.toLowerCase();
    return (foreign ? `${parsed.domain}\\${parsed.sam}` : `${parsed.sam}@${this.dnsDomain}`).toLowerCase();
  }

  /**
   * The NetBIOS name of the domain: configured, or read once from the domain's crossRef in
   * CN=Partitions of the configuration partition (MS-ADTS 6.1.1.2.1.1.5, attribute nETBIOSName).
   * A failed read is not cached, so the next DOMAIN\sam asks again.
   */
  private netbiosDomain(): Promise<string> {
    if (this.options.domainNetbios) return Promise.resolve(this.options.domainNetbios);
    this.netbios ??= this.readNetbiosDomain().catch((err: unknown) => {
      this.netbios = undefined;
      throw err;
    });
    return this.netbios;
  }

  private readNetbiosDomain(): Promise<string> {
    return this.pool.withService(async (client) => {
      const root = await client.search('', { scope: 'base', filter: rootDse(), attributes: ['configurationNamingContext'] });
      const configNc = root.searchEntries[0]?.configurationNamingContext;
      if (typeof configNc !== 'string') throw new Error('rootDSE has no configurationNamingContext');
      const found = await client.search(`CN=Partitions,${configNc}`, { scope: 'one', filter: domainCrossRef(this.domainNc), attributes: ['nETBIOSName'] });
      const name = found.searchEntries[0]?.nETBIOSName;
      if (typeof name !== 'string' || name === '') throw new Error(`no crossRef with a nETBIOSName for ${this.domainNc}`);
      return name;
    });
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

  /** `tokenGroups`: the values when the entry was read with them, else they are read now. */
  private async complete(entry: Entry, tokenGroups?: Buffer[]): Promise<DirectoryUser | null> {
    const user = toDirectoryUser(entry, await this.nameGroups(tokenGroups ?? (await this.tokenGroupsOf(entry.dn))), this.dnsDomain);
    if (!user) this.options.logger?.error({ dn: entry.dn }, 'directory: user entry lacks objectGUID or sAMAccountName');
    return user;
  }

  /**
   * Every group, nested ones and the primary group included: tokenGroups, which AD computes
   * only on a base-scope read of the user (MS-ADTS 3.1.1.4.5.19).
   */
  private async tokenGroupsOf(dn: string): Promise<Buffer[]> {
    const { searchEntries } = await this.pool.withService((client) => client.search(dn, { scope: 'base', attributes: ['tokenGroups'], explicitBufferAttributes: ['tokenGroups'] }));
    return searchEntries[0] ? buffers(searchEntries[0], 'tokenGroups') : [];
  }

  /** The groups the SIDs name: remembered ones (directory/group-names.ts), the rest searched in batches. */
  private async nameGroups(tokenGroups: Buffer[]): Promise<DirectoryGroup[]> {
    const bySid = new Map(tokenGroups.map((bytes) => [sidToString(bytes) ?? bytes.toString('hex'), bytes] as const));
    const { known, missing } = this.groupNames.lookup([...bySid.keys()]);
    const groups = [...known];
    if (missing.length > 0) {
      const found = await this.pool.withService(async (client) => {
        const named: DirectoryGroup[] = [];
        for (let i = 0; i < missing.length; i += sidBatch) {
          const result = await client.search(this.options.baseDn, {
            scope: 'sub',
            filter: groupsBySid(missing.slice(i, i + sidBatch).map((sid) => bySid.get(sid)!)),
            attributes: ['cn', 'objectSid'],
            explicitBufferAttributes: ['objectSid'],
          });
          for (const group of result.searchEntries) {
            const [sidBytes] = buffers(group, 'objectSid');
            const sid = sidBytes ? sidToString(sidBytes) : null;
            named.push({ dn: group.dn, name: typeof group.cn === 'string' ? group.cn : group.dn, ...(sid ? { sid } : {}) });
          }
        }
        return named;
      });
      this.groupNames.remember(missing, found);
      groups.push(...found);
    }
    return groups.sort((a, b) => a.dn.localeCompare(b.dn));
  }

  private logFailure(operation: string, err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    this.options.logger?.error({ operation, error }, 'directory: operation failed');
  }
}
