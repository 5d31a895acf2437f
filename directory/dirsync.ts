import { Ber, BerWriter, Control, type BerReader, type Client, type Entry } from 'ldapts';

/** LDAP_SERVER_DIRSYNC_OID, MS-ADTS 3.1.1.3.4.1.3. */
export const DIRSYNC_OID = '1.2.840.113556.1.4.841';
/** LDAP_DIRSYNC_ANCESTORS_FIRST_ORDER: parents before children, so a new OU's objects never come first. */
const ANCESTORS_FIRST_ORDER = 0x800;
/** LDAP_SERVER_EXTENDED_DN_OID: linked values as `<GUID=…>;<SID=…>;dn` (MS-ADTS 3.1.1.3.4.1.5). */
export const EXTENDED_DN_OID = '1.2.840.113556.1.4.529';
const MAX_BYTES = 1024 * 1024;

/**
 * The DirSync request/response control. Request value: SEQUENCE { flags, maxBytes, cookie };
 * response value: SEQUENCE { moreResults, unused, cookie }. ldapts parses a response control of
 * an unknown type into the request control of the same type, so this one object carries both.
 */
export class DirSyncControl extends Control {
  moreResults = false;

  constructor(public cookie: Buffer, private readonly flags = ANCESTORS_FIRST_ORDER) {
    super(DIRSYNC_OID, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(this.flags);
    value.writeInt(MAX_BYTES);
    if (this.cookie.length > 0) value.writeBuffer(this.cookie, Ber.OctetString);
    else value.writeString('');
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }

  protected override parseControl(reader: BerReader): void {
    if (reader.readSequence() === null) return;
    this.moreResults = (reader.readInt() ?? 0) !== 0;
    reader.readInt();
    this.cookie = reader.readString(Ber.OctetString, true) ?? Buffer.alloc(0);
  }
}

/** Asks for linked values (member) with the GUID of each target in string form. */
export class ExtendedDnControl extends Control {
  constructor() {
    super(EXTENDED_DN_OID, { critical: false });
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(1);
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }
}

export interface DirSyncRound {
  entries: Entry[];
  cookie: Buffer;
}

/**
 * Everything that changed below the naming context `baseDn` since `cookie` (all objects for an
 * empty cookie), round by round until the DC says no more. Deleted objects come back as
 * tombstones with isDeleted=TRUE. Needs the "Replicating Directory Changes" right.
 */
export async function* dirSync(client: Client, baseDn: string, cookie: Buffer, options: { filter: string; attributes: string[] }): AsyncGenerator<DirSyncRound> {
  let current = cookie;
  for (;;) {
    const control = new DirSyncControl(current);
    const { searchEntries } = await client.search(baseDn, {
      scope: 'sub',
      filter: options.filter,
      attributes: options.attributes,
      explicitBufferAttributes: ['objectGUID'],
    }, control);
    current = control.cookie;
    yield { entries: searchEntries, cookie: current };
    if (!control.moreResults) return;
  }
}
