import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import type { Store } from '../../store/types.js';
import { USERNAME_13, USERNAME_2005 } from '../../sts/protocols/wstrust/versions.js';
import { httpsRequest, type HttpsResult } from '../entra/https-client.js';
import type { RunningTestGatehouse } from '../support/gatehouse.js';
import { rst, type RstOptions } from './rst.js';

const SOAP = 'http://www.w3.org/2003/05/soap-envelope';

/** POSTs `body` to `path` of a running test Gatehouse, as a SOAP 1.2 client does. */
export function post(gh: RunningTestGatehouse, path: string, body: string, contentType = 'application/soap+xml; charset=utf-8'): Promise<HttpsResult> {
  return httpsRequest(`${gh.url}${path}`, { method: 'POST', ca: gh.tlsCertPem, headers: { 'Content-Type': contentType }, body, timeoutMs: 20_000 });
}

/** Posts an RST shaped like `kind`'s client to its endpoint. */
export function send(gh: RunningTestGatehouse, kind: 'msal-net-2005' | 'msal-python-13', o: Partial<RstOptions> & { username: string; password: string }): Promise<HttpsResult> {
  const path = kind === 'msal-net-2005' ? USERNAME_2005.path : USERNAME_13.path;
  return post(gh, path, rst(kind, { to: `${gh.url}${path}`, ...o }));
}

/** Reads an answer as a client would (not through the hardened parser under test). */
export function xml(text: string): Document {
  return new DOMParser().parseFromString(text, 'text/xml') as unknown as Document;
}

/** Code/Value, Subcode/Value and Reason/Text of a SOAP 1.2 fault (ENTRA.md §6.4). */
export function fault(text: string) {
  const doc = xml(text);
  const f = doc.getElementsByTagNameNS(SOAP, 'Fault')[0];
  assert.ok(f, `a fault: ${text}`);
  const values = Array.from(f.getElementsByTagNameNS(SOAP, 'Value'));
  const subcode = values[1]?.textContent;
  return {
    code: values[0]?.textContent,
    subcode,
    /** The Subcode QName's namespace, resolved where it stands. */
    subcodeNs: values[1]?.lookupNamespaceURI(subcode?.split(':')[0] ?? null),
    reason: f.getElementsByTagNameNS(SOAP, 'Text')[0]?.textContent,
    action: doc.getElementsByTagNameNS('http://www.w3.org/2005/08/addressing', 'Action')[0]?.textContent,
  };
}

/** Audit events of `type` recorded since `since`. */
export async function auditSince(store: Store, type: string, since: Date) {
  return (await store.audit.recent(50, { type })).filter((e) => e.at >= since);
}

/** A fault with `subcode` and no token, and a `request.rejected` event for `reason` since `since`. */
export async function expectRejected(store: Store, res: HttpsResult, since: Date, reason: string, subcode = 'a:InvalidRequest'): Promise<void> {
  assert.equal(res.status, 500, res.text);
  const f = fault(res.text);
  assert.equal(f.subcode, subcode);
  assert.ok(f.reason, 'Reason/Text present');
  assert.doesNotMatch(res.text, /Assertion/);
  const events = await auditSince(store, 'request.rejected', since);
  assert.ok(events.some((e) => e.reason === reason && e.details?.protocol === 'wstrust'), `${reason} in ${JSON.stringify(events)}`);
}
