import type { ImmutableId, ObjectGuid } from './types.js';

const canonical = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * AD stores objectGUID as .NET Guid.ToByteArray(): the first three fields little-endian, the
 * last eight bytes as written (MS-DTYP 2.3.4.2). ENTRA.md §7.1.
 */
export function guidFromBytes(bytes: Buffer): ObjectGuid {
  if (bytes.length !== 16) throw new Error(`a GUID has 16 bytes, not ${bytes.length}`);
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}` as ObjectGuid;
}

/** Parses a GUID string (any case, optional braces) to the stored byte order; null when malformed. */
export function guidToBytes(guid: string): Buffer | null {
  const text = guid.trim().toLowerCase().replace(/^\{(.*)\}$/, '$1');
  if (!canonical.test(text)) return null;
  const hex = text.replaceAll('-', '');
  const field = (from: number, to: number): Buffer => Buffer.from(hex.slice(from, to), 'hex').reverse();
  return Buffer.concat([field(0, 8), field(8, 12), field(12, 16), Buffer.from(hex.slice(16), 'hex')]);
}

export function parseObjectGuid(guid: string): ObjectGuid | null {
  const bytes = guidToBytes(guid);
  return bytes ? guidFromBytes(bytes) : null;
}

/** ImmutableID = base64 of the 16 source-anchor bytes as stored (ENTRA.md §7.1). */
export function immutableIdFromBytes(bytes: Buffer): ImmutableId {
  if (bytes.length !== 16) throw new Error(`a source anchor has 16 bytes, not ${bytes.length}`);
  return bytes.toString('base64') as ImmutableId;
}
