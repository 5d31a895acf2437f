import { namespace, XmlWriter } from '../../../xml/writer.js';
import { writeRstr } from '../../tokens/wsfed-rstr.js';
import { writeAnswerHeader } from './faults.js';
import type { Issued } from './issue.js';
import { NS, type UsernameEndpoint } from './versions.js';

const S = namespace('s', NS.soap12);

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
