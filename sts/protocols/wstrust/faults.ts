import { namespace, qname, XML_NS, XmlWriter } from '../../../xml/writer.js';
import type { TrustVersion } from './rstr.js';
import { BadRequest, InternalFailure, NoSuchTrust, ProtocolError, RequestDenied, ServiceUnavailable, TooManyRequests } from '../errors.js';
import { writeAnswerHeader } from './response.js';
import { NS } from './versions.js';

/**
 * Bad credentials or an AD outcome (disabled, locked, expired, must change): one fault for all, so
 * nobody can tell a wrong password from a missing user (ENTRA.md §6.4).
 */
export class FailedAuthentication extends ProtocolError {
  constructor(reason: string) {
    super(401, reason, 'Sign-in failed', 'The security token could not be authenticated or authorized.');
  }
}

/** WS-Trust 1.3 §11 fault codes (the 2005 draft has the same ones), in the endpoint's trust namespace. */
type FaultCode = 'FailedAuthentication' | 'RequestFailed' | 'InvalidRequest';

interface FaultText {
  code: FaultCode;
  text: string;
}

/**
 * What a client is told, by error class. The texts are AD FS's own (ID3242, MSIS3127) where AD FS
 * has one, so scripts and support articles that match them keep working; WS-Trust 1.3 §11 gives
 * InvalidRequest's. The detail (which check failed) goes only to the audit event.
 */
function faultText(err: ProtocolError): FaultText {
  if (err instanceof FailedAuthentication) {
    return { code: 'FailedAuthentication', text: 'ID3242: The security token could not be authenticated or authorized.' };
  }
  // AD FS answers an unknown or refused relying party with MSIS3127 and logs the real cause.
  if (err instanceof ServiceUnavailable) return { code: 'RequestFailed', text: `MSIS3127: The specified request failed. ${err.title}: ${err.userMessage}` };
  if (err instanceof NoSuchTrust || err instanceof RequestDenied || err instanceof TooManyRequests || err instanceof InternalFailure) {
    return { code: 'RequestFailed', text: 'MSIS3127: The specified request failed.' };
  }
  if (!(err instanceof BadRequest)) throw new TypeError(`no fault mapping for ${err.constructor.name}`);
  return { code: 'InvalidRequest', text: 'The request was invalid or malformed.' };
}

const S = namespace('s', NS.soap12);
const XML = namespace('xml', XML_NS);
export const FAULT_ACTION = 'http://www.w3.org/2005/08/addressing/soap/fault';

/**
 * A SOAP 1.2 fault (SOAP 1.2 part 1 §5.4) with Code/Value, Code/Subcode/Value and Reason/Text all
 * present: MSAL Python 1.21 dereferences both and crashes without either (ENTRA.md §6.4).
 *
 * Both values are QNames (§5.4.1.3). The Subcode is in the trust namespace of the endpoint that
 * answers, declared on its s:Value with prefix `a` as AD FS does — for FailedAuthentication too
 * (`<s:Value xmlns:a="http://schemas.xmlsoap.org/ws/2005/02/trust">a:FailedAuthentication`,
 * Microsoft's "can't activate Office 2013" article) — so MSAL.NET reports the same error code.
 * `a` is WS-Addressing's in the header; declared on s:Value it does not clash.
 */
export function soapFault(err: ProtocolError, trust: TrustVersion, relatesTo: string | undefined, now = new Date()): string {
  const f = faultText(err);
  const subcode = namespace('a', trust.ns.uri);
  const w = new XmlWriter();
  w.start(S, 'Envelope');
  writeAnswerHeader(w, FAULT_ACTION, relatesTo, now);
  w.start(S, 'Body').start(S, 'Fault');
  w.start(S, 'Code').leaf(S, 'Value', qname(S, 'Sender'));
  w.start(S, 'Subcode').leaf(S, 'Value', qname(subcode, f.code), {}, [], { declare: [subcode] }).end();
  w.end();
  w.start(S, 'Reason').leaf(S, 'Text', f.text, {}, [{ ns: XML, name: 'lang', value: 'en-US' }]).end();
  w.end().end().end();
  return w.finish().xml;
}
