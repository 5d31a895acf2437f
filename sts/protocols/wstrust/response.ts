import { namespace, XmlWriter } from '../../../xml/writer.js';
import type { Issued } from './issue.js';
import { writeRstr } from './rstr.js';
import { NS, type UsernameEndpoint } from './versions.js';

const S = namespace('s', NS.soap12);
const A = namespace('a', NS.wsa);
const O = namespace('o', NS.wsse);
const U = namespace('u', NS.wsu);
/** How long the Timestamp of our answers says they are good for (AD FS: 5 minutes). */
const ANSWER_LIFETIME_MS = 5 * 60_000;

/** The header AD FS puts on every answer, a token or a fault: Action, RelatesTo the request, Security/Timestamp. */
export function writeAnswerHeader(w: XmlWriter, action: string, relatesTo: string | undefined, now: Date): void {
  const mustUnderstand = [{ ns: S, name: 'mustUnderstand', value: '1' }];
  w.start(S, 'Header');
  w.leaf(A, 'Action', action, {}, mustUnderstand);
  if (relatesTo) w.leaf(A, 'RelatesTo', relatesTo);
  w.start(O, 'Security', {}, mustUnderstand)
    .start(U, 'Timestamp', {}, [{ ns: U, name: 'Id', value: '_0' }])
    .leaf(U, 'Created', now.toISOString())
    .leaf(U, 'Expires', new Date(now.getTime() + ANSWER_LIFETIME_MS).toISOString())
    .end()
    .end();
  w.end();
}

/**
 * The SOAP answer (ENTRA.md §6.3): AD FS's header (reply Action, RelatesTo the request's
 * MessageID, Security/Timestamp) and in the body the RSTR — inside a Collection for 1.3, bare for
 * 2005 — with TokenType exactly the SAML 1.1 URI and the attached/unattached references.
 */
export function rstrEnvelope(endpoint: UsernameEndpoint, issued: Issued, now: Date): string {
  const w = new XmlWriter();
  w.start(S, 'Envelope');
  writeAnswerHeader(w, endpoint.replyAction, issued.msg.messageId, now);
  w.start(S, 'Body');
  writeRstr(w, { assertion: issued.assertion, appliesTo: issued.trust.identifier, version: endpoint.trust, collection: endpoint.collection, references: true });
  w.end().end();
  return w.finish().xml;
}
