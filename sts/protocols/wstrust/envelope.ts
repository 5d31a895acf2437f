import type { Element } from '@xmldom/xmldom';
import { booleanAttribute, childElements, elementChildren, onlyChild, optionalChild, parseXml, rootElement, textOf, XmlRejected } from '../../../xml/parse.js';
import { BadRequest } from '../errors.js';
import { NS, PASSWORD_TEXT, type UsernameEndpoint } from './versions.js';

/** An RST is a few hundred bytes; anything near this cap is not a client we serve. */
export const MAX_RST_BYTES = 64 * 1024;
/**
 * Both MSALs' RSTs hold 21 elements, 6 deep (test/fixtures/wstrust/); the caps leave room for
 * a client's extra headers while a body shaped to be expensive is refused before its tree is built.
 */
const MAX_RST_DEPTH = 20;
const MAX_RST_ELEMENTS = 300;

/** What the adapter needs from a username/password RST, read and checked for shape only. */
export interface RstMessage {
  messageId: string | undefined;
  to: string | undefined;
  /** wsu:Timestamp of the Security header (WSS 1.0 §10). */
  created: Date;
  expires: Date | undefined;
  username: string;
  password: string;
  /** UsernameToken Nonce / Created (WSS UsernameToken Profile 1.0 §4), for the replay cache. */
  nonce: string | undefined;
  tokenCreated: Date | undefined;
  appliesTo: string;
}

/** Header blocks we process; any other block marked mustUnderstand is refused (SOAP 1.2 part 1 §5.2.3). */
const UNDERSTOOD = new Set([`${NS.wsa} Action`, `${NS.wsa} MessageID`, `${NS.wsa} ReplyTo`, `${NS.wsa} To`, `${NS.wsse} Security`]);

// xs:dateTime with a zone (a Timestamp without one has no defined instant).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses with the hardened parser (size, depth and element caps, no DOCTYPE) and reads the envelope of `endpoint`'s version. */
export function parseRst(body: Uint8Array, endpoint: UsernameEndpoint): RstMessage {
  try {
    return readEnvelope(body, endpoint);
  } catch (err) {
    if (err instanceof XmlRejected) throw new BadRequest(`xml-${err.reason}`);
    throw err;
  }
}

function readEnvelope(body: Uint8Array, endpoint: UsernameEndpoint): RstMessage {
  const envelope = rootElement(parseXml(body, { maxBytes: MAX_RST_BYTES, maxDepth: MAX_RST_DEPTH, maxElements: MAX_RST_ELEMENTS }), NS.soap12, 'Envelope');
  const header = onlyChild(envelope, NS.soap12, 'Header');
  const soapBody = onlyChild(envelope, NS.soap12, 'Body');
  checkMustUnderstand(header);

  // ENTRA.md §6.2: the action names the version; a 2005 RST at the 1.3 endpoint (or the reverse) is refused.
  if (text(onlyChild(header, NS.wsa, 'Action')) !== endpoint.issueAction) throw new BadRequest('wrong-action');
  const messageId = optionalText(header, NS.wsa, 'MessageID');
  // Echoed in RelatesTo: a URI (WS-Addressing 1.0 §3.2), bounded, so an odd one cannot break the answer.
  if (messageId !== undefined && !/^[\x21-\x7e]{1,256}$/.test(messageId)) throw new BadRequest('bad-message-id');
  const to = optionalText(header, NS.wsa, 'To');

  const security = onlyChild(header, NS.wsse, 'Security');
  const timestamp = onlyChild(security, NS.wsu, 'Timestamp');
  const created = dateTime(text(onlyChild(timestamp, NS.wsu, 'Created')));
  const expiresText = optionalText(timestamp, NS.wsu, 'Expires');

  const token = onlyChild(security, NS.wsse, 'UsernameToken');
  const passwordEl = onlyChild(token, NS.wsse, 'Password');
  // ENTRA.md §6.2: both MSALs send no Type, which means PasswordText. A digest would need the
  // clear password on our side, which AD never gives out.
  const type = passwordEl.getAttribute('Type');
  if (type && type !== PASSWORD_TEXT) throw new BadRequest('password-type');
  const tokenCreated = optionalText(token, NS.wsu, 'Created');

  const rst = onlyElement(soapBody);
  if (rst.namespaceURI !== endpoint.trust.ns.uri || rst.localName !== 'RequestSecurityToken') throw new BadRequest('not-an-rst');
  checkRst(rst, endpoint);

  return {
    messageId,
    to,
    created,
    expires: expiresText === undefined ? undefined : dateTime(expiresText),
    // Not trimmed: the password is exactly what was sent; the pipeline trims the user name.
    username: textOf(onlyChild(token, NS.wsse, 'Username')),
    password: textOf(passwordEl),
    nonce: optionalText(token, NS.wsse, 'Nonce'),
    tokenCreated: tokenCreated === undefined ? undefined : dateTime(tokenCreated),
    appliesTo: appliesTo(rst),
  };
}

/** SOAP 1.2 part 1 §5.2.3: mustUnderstand is an xs:boolean, so ` 1 ` marks a block as `1` does; `yes` is malformed. */
function checkMustUnderstand(header: Element): void {
  for (const block of elementChildren(header)) {
    if (booleanAttribute(block, NS.soap12, 'mustUnderstand') && !UNDERSTOOD.has(`${block.namespaceURI} ${block.localName}`)) throw new BadRequest('must-understand');
  }
}

/** ENTRA.md §6.2: RequestType Issue, and KeyType Bearer (1.3) or NoProofKey (2005) when sent. */
function checkRst(rst: Element, endpoint: UsernameEndpoint): void {
  const trustNs = endpoint.trust.ns.uri;
  if (text(onlyChild(rst, trustNs, 'RequestType')) !== endpoint.trust.requestType) throw new BadRequest('request-type');
  const keyType = optionalText(rst, trustNs, 'KeyType');
  if (keyType !== undefined && keyType !== endpoint.trust.keyType) throw new BadRequest('key-type');
  // We issue SAML 1.1 only; a request for anything else is refused rather than answered with another type.
  const tokenType = optionalText(rst, trustNs, 'TokenType');
  if (tokenType !== undefined && tokenType !== 'urn:oasis:names:tc:SAML:1.0:assertion') throw new BadRequest('token-type');
}

/** wsp:AppliesTo/wsa:EndpointReference/wsa:Address (ENTRA.md §6.2), WS-Addressing 1.0 or the 2004/08 submission. */
function appliesTo(rst: Element): string {
  const applies = onlyChild(rst, NS.wsp, 'AppliesTo');
  const refs = [...childElements(applies, NS.wsa, 'EndpointReference'), ...childElements(applies, NS.wsa2004, 'EndpointReference')];
  const ref = refs.length === 1 ? refs[0] : undefined;
  if (!ref) throw new BadRequest('applies-to');
  const address = text(onlyChild(ref, ref.namespaceURI ?? '', 'Address'));
  if (address === '') throw new BadRequest('applies-to');
  return address;
}

function onlyElement(parent: Element): Element {
  const children = elementChildren(parent);
  if (children.length !== 1 || !children[0]) throw new BadRequest('body');
  return children[0];
}

/** Element text without surrounding whitespace (MSAL Python indents its RST, ENTRA.md §6.2). */
function text(el: Element): string {
  return textOf(el).trim();
}

function optionalText(parent: Element, ns: string, name: string): string | undefined {
  const el = optionalChild(parent, ns, name);
  return el ? text(el) : undefined;
}

function dateTime(value: string): Date {
  const d = new Date(value);
  if (!DATE_TIME.test(value) || Number.isNaN(d.getTime())) throw new BadRequest('timestamp-format');
  return d;
}
