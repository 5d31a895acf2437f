/**
 * The typed XML writer: every byte Gatehouse sends as XML is written here, escaped by construction
 * and already in Exclusive XML Canonicalization form (xml-exc-c14n §3, C14N 1.0 §2.3), so signing
 * is one digest over the bytes written and one RSA signature — no DOM, no re-canonicalisation
 * (ARCHITECTURE.md "XML and signatures", "Cost model").
 *
 * What "already canonical" means here, and what makes it true:
 * - a namespace is declared on each element that visibly uses it (its own prefix or an attribute's)
 *   unless the nearest written ancestor already declared the same prefix with the same URI;
 * - no element is written in no namespace below a default namespace (no xmlns="" is ever needed);
 * - namespace declarations are sorted by prefix (the default namespace first), then attributes by
 *   namespace URI and local name; names are restricted to ASCII so UTF-16 order is code-point order;
 * - no self-closing tags, no XML declaration, no whitespace the caller did not write;
 * - text escapes & < > and CR; attribute values escape & < " TAB LF CR.
 * The bytes of the whole output are therefore its own exclusive canonical form (tested against
 * xml-crypto's ExclusiveCanonicalization in test/xml/writer.test.ts).
 */

export interface Namespace {
  readonly prefix: string;
  readonly uri: string;
}

/** A namespace binding; prefix '' is the default namespace. */
export function namespace(prefix: string, uri: string): Namespace {
  if (prefix !== '') checkName(prefix);
  if (prefix !== '' && uri === '') throw new XmlWriteError(`prefix ${prefix} cannot be bound to no namespace`);
  return { prefix, uri };
}

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** A namespace-qualified attribute (unqualified ones go in the plain record). */
export interface NsAttribute {
  readonly ns: Namespace;
  readonly name: string;
  readonly value: string;
}

/** Plain (no namespace) attributes; an `undefined` value leaves the attribute out. */
export type Attributes = Readonly<Record<string, string | undefined>>;

export class XmlWriteError extends Error {
  override readonly name = 'XmlWriteError';
}

/** Where a signature goes: an offset in the output and the namespaces in scope there. */
export interface SignatureSlot {
  readonly offset: number;
  readonly inScope: ReadonlyMap<string, string>;
}

const sealed = Symbol('CanonicalXml');

/**
 * XML known to be in exclusive-c14n form because this module wrote it. Only `XmlWriter.finish`
 * and `withSignature` make one, which is what lets `XmlWriter.raw` trust it.
 */
export class CanonicalXml {
  private constructor(
    /** The canonical text. Its UTF-8 bytes are what a digest covers. */
    readonly xml: string,
    /** The root's unqualified attributes (for the signer to read the ID it references). */
    readonly rootAttributes: ReadonlyMap<string, string>,
    /** Set when the writer marked where an enveloped signature belongs. */
    readonly signatureSlot: SignatureSlot | undefined,
  ) {}

  /** @internal writer-only constructor */
  static [sealed](xml: string, rootAttributes: ReadonlyMap<string, string>, slot: SignatureSlot | undefined): CanonicalXml {
    return new CanonicalXml(xml, rootAttributes, slot);
  }

  toString(): string {
    return this.xml;
  }
}

/** Puts a signature (written with `new XmlWriter({ inScope: doc.signatureSlot.inScope })`) into its slot. */
export function withSignature(doc: CanonicalXml, signature: CanonicalXml): CanonicalXml {
  const slot = doc.signatureSlot;
  if (!slot) throw new XmlWriteError('the document has no signature slot');
  const xml = doc.xml.slice(0, slot.offset) + signature.xml + doc.xml.slice(slot.offset);
  return CanonicalXml[sealed](xml, doc.rootAttributes, undefined);
}

interface Open {
  readonly qname: string;
  readonly rendered: ReadonlyMap<string, string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;
// XML 1.0 Char production; anything else (C0 controls, lone surrogates, U+FFFE/F) cannot be written.
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const TEXT_SPECIAL = /[&<>\r]/g;
const ATTR_SPECIAL = /[&<"\t\n\r]/g;
const ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;',
};
const escapeOne = (c: string): string => ESCAPES[c] as string;

function checkName(name: string): void {
  if (!NAME.test(name)) throw new XmlWriteError(`not an allowed XML name: ${JSON.stringify(name)}`);
}

function checkChars(value: string): void {
  if (NOT_XML_CHAR.test(value)) throw new XmlWriteError('value contains a character XML cannot carry');
}

export function escapeText(value: string): string {
  checkChars(value);
  return value.replace(TEXT_SPECIAL, escapeOne);
}

export function escapeAttribute(value: string): string {
  checkChars(value);
  return value.replace(ATTR_SPECIAL, escapeOne);
}

const EMPTY_SCOPE: ReadonlyMap<string, string> = new Map([['', '']]);

export interface WriterOptions {
  /**
   * Namespaces already declared by the output this text will be placed in (for writing into a
   * signature slot). Leave empty for a stand-alone document or a fragment cut out verbatim.
   */
  inScope?: ReadonlyMap<string, string>;
}

export class XmlWriter {
  private readonly out: string[] = [];
  private length = 0;
  private readonly stack: Open[] = [];
  private readonly baseScope: ReadonlyMap<string, string>;
  private rootAttributes: ReadonlyMap<string, string> | undefined;
  private slot: SignatureSlot | undefined;
  private done = false;

  constructor(options: WriterOptions = {}) {
    this.baseScope = options.inScope ?? EMPTY_SCOPE;
  }

  /** Opens `<prefix:local …>`; `ns` null is an unqualified element in no namespace. */
  start(ns: Namespace | null, local: string, attrs: Attributes = {}, nsAttrs: readonly NsAttribute[] = []): this {
    checkName(local);
    if (this.stack.length === 0 && this.rootAttributes) throw new XmlWriteError('a document has exactly one root element');
    const prefix = ns?.prefix ?? '';
    const used = new Map<string, string>([[prefix, ns?.uri ?? '']]);
    const plain = Object.entries(attrs).filter((e): e is [string, string] => e[1] !== undefined);
    const sorted: { uri: string; local: string; text: string }[] = [];
    for (const [name, value] of plain) {
      checkName(name);
      sorted.push({ uri: '', local: name, text: ` ${name}="${escapeAttribute(value)}"` });
    }
    for (const a of nsAttrs) {
      checkName(a.name);
      if (a.ns.prefix === '') throw new XmlWriteError(`attribute ${a.name} in a namespace needs a prefix`);
      const bound = used.get(a.ns.prefix);
      if (bound !== undefined && bound !== a.ns.uri) throw new XmlWriteError(`prefix ${a.ns.prefix} bound twice on ${local}`);
      used.set(a.ns.prefix, a.ns.uri);
      sorted.push({ uri: a.ns.uri, local: a.name, text: ` ${a.ns.prefix}:${a.name}="${escapeAttribute(a.value)}"` });
    }
    sorted.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.local < b.local ? -1 : a.local > b.local ? 1 : 0));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]?.uri === sorted[i - 1]?.uri && sorted[i]?.local === sorted[i - 1]?.local) {
        throw new XmlWriteError(`attribute ${sorted[i]?.local} written twice on ${local}`);
      }
    }

    const parentScope = this.stack.at(-1)?.rendered ?? this.baseScope;
    // An unqualified element under a default namespace needs xmlns="", and canonicalisers disagree
    // on its descendants (xml-crypto repeats xmlns="", libxml2 does not): never write that shape.
    if (prefix === '' && (ns?.uri ?? '') === '' && (parentScope.get('') ?? '') !== '') {
      throw new XmlWriteError(`${local} would need xmlns="" under a default namespace`);
    }
    const declared: [string, string][] = [];
    for (const [p, uri] of used) {
      if (p === 'xml') {
        if (uri !== XML_NS) throw new XmlWriteError('the xml prefix is reserved');
        continue; // never declared, C14N 1.0 §2.3
      }
      const current = parentScope.get(p) ?? (p === '' ? '' : undefined);
      if (current !== uri) declared.push([p, uri]);
    }
    declared.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let rendered = parentScope;
    if (declared.length > 0) {
      const scope = new Map(parentScope);
      for (const [p, uri] of declared) scope.set(p, uri);
      rendered = scope;
    }

    const qname = prefix ? `${prefix}:${local}` : local;
    let tag = `<${qname}`;
    for (const [p, uri] of declared) tag += p ? ` xmlns:${p}="${escapeAttribute(uri)}"` : ` xmlns="${escapeAttribute(uri)}"`;
    for (const a of sorted) tag += a.text;
    this.push(tag + '>');
    if (this.stack.length === 0) this.rootAttributes = new Map(plain);
    this.stack.push({ qname, rendered });
    return this;
  }

  text(value: string): this {
    if (this.stack.length === 0) throw new XmlWriteError('text outside the root element');
    if (value !== '') this.push(escapeText(value));
    return this;
  }

  end(): this {
    const open = this.stack.pop();
    if (!open) throw new XmlWriteError('end() without an open element');
    this.push(`</${open.qname}>`);
    return this;
  }

  /** `<x attrs>text</x>` in one call (text '' gives `<x attrs></x>`, as c14n writes empty elements). */
  leaf(ns: Namespace | null, local: string, text: string, attrs: Attributes = {}, nsAttrs: readonly NsAttribute[] = []): this {
    return this.start(ns, local, attrs, nsAttrs).text(text).end();
  }

  /**
   * Embeds XML this module wrote before (e.g. a signed assertion inside an RSTR, ENTRA.md §2.3)
   * byte for byte. Only `CanonicalXml` is accepted — never a caller's string — so escaping cannot be
   * bypassed. The fragment keeps its own namespace declarations, so it can be cut out verbatim
   * (ENTRA.md §6.7); if this writer already declared the same binding above, the outer document
   * carries a redundant (harmless) declaration and is canonical everywhere but there.
   */
  raw(fragment: CanonicalXml): this {
    if (this.stack.length === 0) throw new XmlWriteError('a fragment must be placed inside an element');
    if (fragment.signatureSlot) throw new XmlWriteError('the fragment still waits for its signature');
    this.push(fragment.xml);
    return this;
  }

  /** Marks the current position as where the enveloped signature goes (`sign.ts`). Once per document. */
  signatureHere(): this {
    const open = this.stack.at(-1);
    if (!open) throw new XmlWriteError('the signature goes inside the root element');
    if (this.slot) throw new XmlWriteError('one signature slot per document');
    this.slot = { offset: this.length, inScope: open.rendered };
    return this;
  }

  finish(): CanonicalXml {
    if (this.done) throw new XmlWriteError('finish() called twice');
    if (this.stack.length > 0 || !this.rootAttributes) throw new XmlWriteError('the document is not complete');
    this.done = true;
    return CanonicalXml[sealed](this.out.join(''), this.rootAttributes, this.slot);
  }

  private push(chunk: string): void {
    if (this.done) throw new XmlWriteError('the document is finished');
    this.out.push(chunk);
    this.length += chunk.length;
  }
}
