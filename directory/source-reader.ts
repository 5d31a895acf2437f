import { Attribute, Change, NoSuchObjectError, type Client, type Entry } from 'ldapts';
import { dirSync, ExtendedDnControl } from './dirsync.js';
import { guidFromBytes, immutableIdFromBytes } from './guid.js';
import type { DcPool } from './pool.js';
import type { ImmutableId, ObjectGuid } from './types.js';

export type SourceKind = 'user' | 'group';

/** A user or group as read from AD for sync: Entra Connect's connector-space object. */
export interface SourceObject {
  kind: SourceKind;
  dn: string;
  objectGuid: ObjectGuid;
  /** ms-DS-ConsistencyGuid when set, else objectGUID (ENTRA.md §7.1). */
  anchor: ImmutableId;
  /** Lower-cased attribute names, string values. */
  attributes: Record<string, string[]>;
  /** objectGUIDs of direct members (groups). */
  memberGuids: string[];
  hasConsistencyGuid: boolean;
}

export interface SourceReaderOptions {
  /**
   * The DCs, with failover, bound as the sync account: a pool of its own, since DirSync needs
   * "Replicating Directory Changes" on the naming context (MS-ADTS 3.1.1.3.4.1.3).
   */
  pool: DcPool;
  /** The domain naming context: DirSync runs from its root. */
  baseDn: string;
  /** Sync scope; the whole naming context when empty. */
  ous: string[];
  /** LDAP attributes read besides the ones the default flows need. */
  extraAttributes: string[];
}

/** Entries per page of the full import; AD's MaxPageSize (1000 by default) caps it. */
const PAGE_SIZE = 500;

/** Users (not computers) and groups: MS-ADTS objectCategory person + objectClass user. */
const OBJECT_FILTER = '(|(&(objectCategory=person)(objectClass=user))(objectClass=group))';
const DIRSYNC_FILTER = '(|(objectClass=user)(objectClass=group))';
const BASE_ATTRIBUTES = ['objectGUID', 'mS-DS-ConsistencyGuid', 'objectClass', 'objectCategory', 'userPrincipalName', 'sAMAccountName', 'cn',
  'displayName', 'givenName', 'sn', 'mail', 'mailNickname', 'department', 'title', 'c', 'userAccountControl', 'proxyAddresses', 'description', 'member', 'groupType'];
const BINARY = ['objectGUID', 'mS-DS-ConsistencyGuid'];

/** The changes DirSync reported since the last cookie, each object re-read in full. */
export interface SourceDelta {
  changed: SourceObject[];
  /** objectGUIDs now deleted or outside the scope. */
  gone: ObjectGuid[];
  cookie: Buffer;
}

/** `<GUID=…>;<SID=…>;CN=…` (extended DN form) → the GUID and the plain DN. */
function splitExtendedDn(value: string): { guid?: string; dn: string } {
  const guid = /<GUID=([0-9a-fA-F-]{36})>/.exec(value)?.[1]?.toLowerCase();
  return { ...(guid ? { guid } : {}), dn: value.replace(/^(<[^>]*>;)+/, '') };
}

const values = (v: Entry[string] | undefined): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : x)));

/** Reads sync source objects from AD: full import by paged search, delta by DirSync (Entra Connect's AD connector). */
export class AdSourceReader {
  constructor(private readonly options: SourceReaderOptions) {}

  private get scopes(): string[] {
    return this.options.ous.length > 0 ? this.options.ous : [this.options.baseDn];
  }

  inScope(dn: string): boolean {
    const lower = dn.toLowerCase();
    return this.scopes.some((s) => lower === s.toLowerCase() || lower.endsWith(`,${s.toLowerCase()}`));
  }

  /** The current DirSync cookie, taken before a full import so nothing that changes during it is missed. */
  watermark(): Promise<Buffer> {
    return this.options.pool.withService(async (client) => {
      let cookie: Buffer = Buffer.alloc(0);
      for await (const round of dirSync(client, this.options.baseDn, cookie, { filter: DIRSYNC_FILTER, attributes: ['objectGUID', 'objectClass'] })) cookie = round.cookie;
      return cookie;
    });
  }

  /** Every in-scope user and group, by paged search of each scope OU. */
  readAll(): Promise<SourceObject[]> {
    return this.options.pool.withService(async (client) => {
      const seen = new Map<string, SourceObject>();
      for (const base of this.scopes) {
        for await (const page of client.searchPaginated(base, {
          scope: 'sub', filter: OBJECT_FILTER, attributes: this.attributes(), explicitBufferAttributes: BINARY,
          paged: { pageSize: PAGE_SIZE },
        }, new ExtendedDnControl())) {
          for (const entry of page.searchEntries) {
            const obj = this.toSource(entry);
            if (obj) seen.set(obj.objectGuid, obj);
          }
        }
      }
      return [...seen.values()];
    });
  }

  /** What changed since `cookie`: DirSync names the objects, each is then read in full by GUID. */
  readChanges(cookie: Buffer): Promise<SourceDelta> {
    return this.options.pool.withService(async (client) => {
      const changed = new Set<string>();
      const deleted = new Set<string>();
      let next = cookie;
      // Every attribute a flow reads is requested: DirSync reports an object only when one of them changed.
      const attributes = [...this.attributes(), 'isDeleted', 'name', 'parentGUID'];
      for await (const round of dirSync(client, this.options.baseDn, cookie, { filter: DIRSYNC_FILTER, attributes })) {
        for (const e of round.entries) {
          const raw = e.objectGUID;
          if (!Buffer.isBuffer(raw) || raw.length !== 16) continue;
          const guid = guidFromBytes(raw);
          if (values(e.isDeleted)[0]?.toUpperCase() === 'TRUE') deleted.add(guid);
          else changed.add(guid);
        }
        next = round.cookie;
      }
      const out: SourceDelta = { changed: [], gone: [...deleted] as ObjectGuid[], cookie: next };
      for (const guid of changed) {
        if (deleted.has(guid)) continue;
        const obj = await this.readByGuid(client, guid);
        if (obj && this.inScope(obj.dn)) out.changed.push(obj);
        else out.gone.push(guid as ObjectGuid);
      }
      return out;
    });
  }

  /** Entra Connect's ms-DS-ConsistencyGuid write-back: the anchor it already uses, made permanent. */
  async writeBackAnchor(obj: SourceObject): Promise<void> {
    const bytes = Buffer.from(obj.anchor, 'base64');
    await this.options.pool.withService((client) =>
      client.modify(obj.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'mS-DS-ConsistencyGuid', values: [bytes] }) })));
  }

  private attributes(): string[] {
    return [...new Set([...BASE_ATTRIBUTES, ...this.options.extraAttributes])];
  }

  private async readByGuid(client: Client, guid: string): Promise<SourceObject | undefined> {
    try {
      const { searchEntries } = await client.search(`<GUID=${guid}>`, {
        scope: 'base', filter: OBJECT_FILTER, attributes: this.attributes(), explicitBufferAttributes: BINARY,
      }, new ExtendedDnControl());
      return searchEntries[0] ? this.toSource(searchEntries[0]) : undefined;
    } catch (err) {
      if (err instanceof NoSuchObjectError) return undefined;
      throw err;
    }
  }

  private toSource(entry: Entry): SourceObject | undefined {
    const guidBytes = entry.objectGUID;
    if (!Buffer.isBuffer(guidBytes) || guidBytes.length !== 16) return undefined;
    const classes = values(entry.objectClass).map((c) => c.toLowerCase());
    const kind: SourceKind | undefined = classes.includes('group') ? 'group' : classes.includes('user') && !classes.includes('computer') ? 'user' : undefined;
    if (!kind) return undefined;
    const consistency = entry['mS-DS-ConsistencyGuid'] ?? entry['ms-DS-ConsistencyGuid'];
    const hasConsistencyGuid = Buffer.isBuffer(consistency) && consistency.length === 16;
    const attributes: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(entry)) {
      if (name === 'dn' || BINARY.some((b) => b.toLowerCase() === name.toLowerCase()) || name.toLowerCase() === 'member') continue;
      attributes[name.toLowerCase()] = values(value);
    }
    return {
      kind,
      dn: splitExtendedDn(entry.dn).dn,
      objectGuid: guidFromBytes(guidBytes),
      anchor: immutableIdFromBytes(hasConsistencyGuid ? (consistency as Buffer) : guidBytes),
      attributes,
      memberGuids: values(entry.member).map((m) => splitExtendedDn(m).guid).filter((g): g is string => g !== undefined),
      hasConsistencyGuid,
    };
  }
}
