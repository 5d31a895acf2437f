import type { SourceObject } from '../directory/source-reader.js';
import type { SyncObjectRecord } from '../store/types.js';
import { mapGroup, mapUser, type AttributeFlow, type TenantDomains } from './mapping.js';

export interface ImportResult {
  /** Records to write (changed or new). */
  records: SyncObjectRecord[];
  /** Records to forget: they left the source and never reached Entra. */
  forget: string[];
  /** UPNs that fell back to the onmicrosoft.com domain, for the run report (see mapUser). */
  upnFallbacks: { dn: string; upn: string }[];
}

const blank = (obj: SourceObject): SyncObjectRecord => ({
  anchor: obj.anchor, kind: obj.kind, objectGuid: obj.objectGuid, dn: obj.dn, desired: null, memberGuids: [],
  entraId: null, exported: null, exportedMembers: [], entraDeleted: false, error: null,
});

/**
 * Folds what the source reader saw into the stored records. `full` means `seen` is the whole
 * scope, so anything not in it has left. The anchor of a known objectGUID is kept even if
 * ms-DS-ConsistencyGuid appears later: Entra already knows the object by the first one.
 */
export function applyImport(
  existing: SyncObjectRecord[],
  seen: SourceObject[],
  gone: string[],
  full: boolean,
  domains: TenantDomains,
  flows: AttributeFlow[],
): ImportResult {
  const byGuid = new Map(existing.map((r) => [r.objectGuid, r]));
  const touched = new Map<string, SyncObjectRecord>();
  const upnFallbacks: ImportResult['upnFallbacks'] = [];
  for (const obj of seen) {
    const record = { ...(byGuid.get(obj.objectGuid) ?? blank(obj)) };
    if (obj.kind === 'user') {
      const mapped = mapUser(obj, domains, flows);
      mapped.attributes.onPremisesImmutableId = record.anchor;
      record.desired = mapped.attributes;
      if (mapped.upnFallbackFrom) upnFallbacks.push({ dn: obj.dn, upn: mapped.upnFallbackFrom });
    } else {
      record.desired = mapGroup(obj);
      record.memberGuids = obj.memberGuids;
    }
    record.dn = obj.dn;
    touched.set(record.objectGuid, record);
  }
  const leaving = full ? existing.filter((r) => !touched.has(r.objectGuid)).map((r) => r.objectGuid) : gone;
  for (const guid of leaving) {
    const r = byGuid.get(guid);
    if (r && r.desired !== null && !touched.has(guid)) touched.set(guid, { ...r, desired: null, memberGuids: [] });
  }
  const records: SyncObjectRecord[] = [];
  const forget: string[] = [];
  for (const r of touched.values()) {
    if (r.desired === null && r.entraId === null) forget.push(r.anchor);
    else if (JSON.stringify(r) !== JSON.stringify(byGuid.get(r.objectGuid))) records.push(r);
  }
  return { records, forget, upnFallbacks };
}
