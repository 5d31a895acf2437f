import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { collapse, NOT_XML_CHAR, Rejection } from './chars.js';

/** Why a piece of network XML was refused; stable codes for logs and protocol errors. */
export type XmlRejectReason =
  | 'too-large'
  | 'too-deep'
  | 'too-many-elements'
  | 'not-utf8'
  | 'doctype'
  | 'malformed'
  | 'not-one-root'
  | 'unexpected-element'
  | 'missing-element'
  | 'duplicate-element';

export class XmlRejected extends Rejection<XmlRejectReason> {
  override readonly name = 'XmlRejected';
}

export interface ParseOptions {
  /** Upper bound on the UTF-8 size of the document; network XML larger than this is refused. */
  maxBytes?: number;
  /** Deepest element nesting accepted, the root being depth 1. */
  maxDepth?: number;
  /** Most elements accepted in the whole document. */
  maxElements?: number;
}

export const DEFAULT_MAX_XML_BYTES = 256 * 1024;
/** SAML messages and metadata nest about 10 deep (our FederationMetadata 9); 64 leaves room for any schema. */
export const DEFAULT_MAX_XML_DEPTH = 64;
/** Our FederationMetadata holds 90 elements, partner metadata a few hundred; 256 KB of `<a/>` would be 65,000. */
export const DEFAULT_MAX_XML_ELEMENTS = 20_000;

interface Limits {
  maxDepth: number;
  maxElements: number;
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const ENTITY_REFERENCE_NODE = 5;
const ENTITY_NODE = 6;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;
const DOCUMENT_TYPE_NODE = 10;

// A DOCTYPE is how entity expansion (billion laughs) and external entities (XXE) get in; no
// protocol we speak needs one, so it is refused before any parser sees it. Comments and CDATA that
// merely contain the text are refused too: harmless, and a simpler rule to audit.
const DOCTYPE_OR_ENTITY = /<!\s*(DOCTYPE|ENTITY)/i;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The only way network XML is parsed (ARCHITECTURE.md "XML and signatures"): size cap, no DOCTYPE
 * or entity, depth and element count bounded before a tree is built, namespace-aware, strict
 * (xmldom's lenient recovery turned into errors), one root.
 */
export function parseXml(input: string | Uint8Array, options: ParseOptions = {}): Document {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > maxBytes) throw new XmlRejected('too-large', `${size} bytes exceeds the limit of ${maxBytes}`);
  const text = typeof input === 'string' ? input : decodeUtf8(input);
  if (DOCTYPE_OR_ENTITY.test(text)) throw new XmlRejected('doctype', 'DOCTYPE and entity declarations are not accepted');
  const limits = { maxDepth: options.maxDepth ?? DEFAULT_MAX_XML_DEPTH, maxElements: options.maxElements ?? DEFAULT_MAX_XML_ELEMENTS };
  scanShape(text, limits);

  let doc: Document;
  try {
    const parser = new DOMParser({
      onError: (level, message) => {
        throw new XmlRejected('malformed', `${level}: ${message}`);
      },
    });
    doc = parser.parseFromString(text, 'application/xml');
  } catch (err) {
    throw asRejection(err);
  }
  checkTree(doc, limits);
  return doc;
}

/**
 * One linear pass over the text that counts start tags and their nesting, so a body built to be
 * expensive (xmldom spends about 5 µs per nested element) is refused before any tree exists.
 * Comments, CDATA sections and processing instructions cannot hold elements and are skipped to
 * their delimiters (XML 1.0 §2.5, §2.7, §2.6); a '>' inside a quoted attribute value does not end
 * a tag (§3.1). Unterminated markup is never well-formed and is refused here. checkTree counts the
 * tree again, so a text this scan misreads still cannot yield a bigger tree.
 */
function scanShape(text: string, limits: Limits): void {
  let depth = 0;
  let elements = 0;
  for (let i = text.indexOf('<'); i !== -1; i = text.indexOf('<', i)) {
    if (text.startsWith('<!--', i)) i = skipPast(text, '-->', i + 4);
    else if (text.startsWith('<![CDATA[', i)) i = skipPast(text, ']]>', i + 9);
    else if (text.startsWith('<?', i)) i = skipPast(text, '?>', i + 2);
    else if (text.startsWith('<!', i)) throw new XmlRejected('malformed', 'markup declaration in the document');
    else if (text.startsWith('</', i)) {
      if (depth === 0) throw new XmlRejected('malformed', 'an end tag with no open element');
      depth -= 1;
      i = skipPast(text, '>', i + 2);
    } else {
      const tag = readStartTag(text, i + 1);
      checkLimits(depth + 1, (elements += 1), limits);
      if (!tag.empty) depth += 1;
      i = tag.end + 1;
    }
  }
}

function skipPast(text: string, delimiter: string, from: number): number {
  const at = text.indexOf(delimiter, from);
  if (at === -1) throw new XmlRejected('malformed', `markup not closed by ${delimiter}`);
  return at + delimiter.length;
}

/** The '>' ending the start tag whose name begins at `from`, and whether the tag is empty (`/>`, XML 1.0 §3.1). */
function readStartTag(text: string, from: number): { end: number; empty: boolean } {
  let last = '';
  for (let i = from; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '>') return { end: i, empty: last === '/' };
    if (c === '"' || c === "'") {
      i = text.indexOf(c, i + 1);
      if (i === -1) break;
    }
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') last = c;
  }
  throw new XmlRejected('malformed', 'start tag not closed');
}

function checkLimits(depth: number, elements: number, limits: Limits): void {
  if (depth > limits.maxDepth) throw new XmlRejected('too-deep', `elements nested deeper than ${limits.maxDepth}`);
  if (elements > limits.maxElements) throw new XmlRejected('too-many-elements', `more than ${limits.maxElements} elements`);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new XmlRejected('not-utf8', 'the document is not valid UTF-8');
  }
}

function asRejection(err: unknown): XmlRejected {
  if (err instanceof XmlRejected) return err;
  // xmldom wraps what onError throws in a ParseError whose cause is ours.
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof XmlRejected) return cause;
  const message = err instanceof Error ? err.message : String(err);
  if (/only one element|HierarchyRequestError/i.test(message)) return new XmlRejected('not-one-root', message);
  return new XmlRejected('malformed', message);
}

// xmldom lets character references such as &#0; and &#xFFFE; through.
function checkChars(value: string): void {
  if (NOT_XML_CHAR.test(value)) throw new XmlRejected('malformed', 'a character XML does not allow');
}

/** Belt and braces after parsing: one element at the top, no DTD or entity nodes anywhere, within the limits. */
function checkTree(doc: Document, limits: Limits): void {
  let roots = 0;
  for (let node = doc.firstChild; node; node = node.nextSibling) {
    switch (node.nodeType) {
      case ELEMENT_NODE:
        roots += 1;
        break;
      case DOCUMENT_TYPE_NODE:
        throw new XmlRejected('doctype', 'DOCTYPE in the document');
      case COMMENT_NODE:
      case PROCESSING_INSTRUCTION_NODE:
        break;
      case TEXT_NODE:
        if (node.nodeValue?.trim()) throw new XmlRejected('not-one-root', 'text outside the root element');
        break;
      default:
        throw new XmlRejected('malformed', `unexpected node type ${node.nodeType} at the top level`);
    }
  }
  if (roots !== 1 || !doc.documentElement) throw new XmlRejected('not-one-root', `${roots} root elements`);
  let elements = 0;
  forEachElement(doc.documentElement, (el, depth) => {
    checkLimits(depth, (elements += 1), limits);
    for (let i = 0; i < el.attributes.length; i++) checkChars(el.attributes.item(i)!.value);
    for (let child: Node | null = el.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === ENTITY_NODE || child.nodeType === ENTITY_REFERENCE_NODE || child.nodeType === DOCUMENT_TYPE_NODE) {
        throw new XmlRejected('doctype', 'entity node in the document');
      }
      if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) checkChars(child.nodeValue ?? '');
    }
  });
}

/** Visits `root` (depth 1) and every element below it in document order, without recursion (a caller may allow deep nesting). */
export function forEachElement(root: Element, visit: (el: Element, depth: number) => void): void {
  const pending: [Element, number][] = [[root, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [el, depth] = next;
    visit(el, depth);
    pending.push(...Array.from(el.children, (child): [Element, number] => [child, depth + 1]).reverse());
  }
}

/** The root element, checked to be `{ns}name`. */
export function rootElement(doc: Document, ns: string, name: string): Element {
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== ns || root.localName !== name) {
    throw new XmlRejected('unexpected-element', `expected root {${ns}}${name}, got {${root?.namespaceURI ?? ''}}${root?.localName ?? ''}`);
  }
  return root;
}

/** All element children of `el`, in document order. */
export function elementChildren(el: Element): Element[] {
  return Array.from(el.children);
}

/** Direct children of `el` that are exactly `{ns}name` (prefixes are irrelevant, namespaces are not). */
export function childElements(el: Element, ns: string, name: string): Element[] {
  const found: Element[] = [];
  for (let child = el.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) {
      const e = child as Element;
      if (e.namespaceURI === ns && e.localName === name) found.push(e);
    }
  }
  return found;
}

/** The single `{ns}name` child; zero or several is an error (duplicates are how wrapping attacks start). */
export function onlyChild(el: Element, ns: string, name: string): Element {
  const found = childElements(el, ns, name);
  if (found.length === 0) throw new XmlRejected('missing-element', `{${ns}}${name} missing in ${el.localName}`);
  if (found.length > 1) throw new XmlRejected('duplicate-element', `{${ns}}${name} appears ${found.length} times in ${el.localName}`);
  return found[0] as Element;
}

/** Like `onlyChild` but absence is allowed. */
export function optionalChild(el: Element, ns: string, name: string): Element | undefined {
  const found = childElements(el, ns, name);
  if (found.length > 1) throw new XmlRejected('duplicate-element', `{${ns}}${name} appears ${found.length} times in ${el.localName}`);
  return found[0];
}

/**
 * The text content of an element that must hold only text. Comments are skipped without splitting
 * the value: `ali<!---->ce` reads as `alice`, never as `ali` (the comment-in-NameID attack).
 */
export function textOf(el: Element): string {
  let text = '';
  for (let child = el.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) text += child.nodeValue ?? '';
    else if (child.nodeType === ELEMENT_NODE) throw new XmlRejected('unexpected-element', `${el.localName} must hold text only`);
  }
  return text;
}

/**
 * An xs:boolean attribute (XML Schema Part 2 §3.2.2): after whitespace collapse, `true`/`1` or
 * `false`/`0`. Absent is undefined; any other value (`yes`, `TRUE`, empty) is refused as 'malformed'.
 */
export function booleanAttribute(el: Element, ns: string | null, name: string): boolean | undefined {
  const attr = el.getAttributeNodeNS(ns, name);
  if (!attr) return undefined;
  switch (collapse(attr.value)) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw new XmlRejected('malformed', `${el.localName}/@${name} is not an xs:boolean`);
  }
}
