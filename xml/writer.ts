import { NOT_XML_CHAR } from './chars.js';

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
 *
 * One exception, so readers can resolve QNames inside values (`xsi:type="fed:…"`, WSDL
 * `binding="tns:…"`, a SOAP fault's `a:FailedAuthentication`): an element may declare extra
 * namespaces that no element or attribute name uses. Exclusive c14n drops such a declaration (it is
 * not visibly utilised, xml-exc-c14n §3), so the writer keeps two texts side by side: the document
 * (`WrittenXml.xml`, what is sent) with the extras, and its exclusive canonical form
 * (`WrittenXml.canonical`, what a digest covers) without them. Every other byte is shared, and every
 * rendering decision follows the canonical scope; both are tested against xml-crypto's
 * ExclusiveCanonicalization in test/xml/writer.test.ts.
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

/** Where a signature goes: its offset in both texts and the (canonical) namespaces in scope there. */
export interface SignatureSlot {
  /** Offset in the document text, `WrittenXml.xml`. */
  readonly offset: number;
  /** Offset in the canonical text, `WrittenXml.canonical`. */
  readonly canonicalOffset: number;
  readonly inScope: ReadonlyMap<string, string>;
}

const sealed = Symbol('WrittenXml');

/**
 * XML this module wrote: the document and its exclusive canonical form, which differ only by the
 * extra declarations of `ElementOptions.declare`. Only `XmlWriter.finish` and `withSignature` make
 * one, which is what lets `XmlWriter.raw` trust it.
 */
export class WrittenXml {
  private constructor(
    /** The document text, what is sent. */
    readonly xml: string,
    /** Its exclusive canonical form (the same string when nothing was declared extra). Its UTF-8 bytes are what a digest covers. */
    readonly canonical: string,
    /** The root's unqualified attributes (for the signer to read the ID it references). */
    readonly rootAttributes: ReadonlyMap<string, string>,
    /** Set when the writer marked where an enveloped signature belongs. */
    readonly signatureSlot: SignatureSlot | undefined,
  ) {}

  /** @internal writer-only constructor */
  static [sealed](xml: string, canonical: string, rootAttributes: ReadonlyMap<string, string>, slot: SignatureSlot | undefined): WrittenXml {
    return new WrittenXml(xml, canonical, rootAttributes, slot);
  }

  toString(): string {
    return this.xml;
  }
}

/** Puts a signature (written with `new XmlWriter({ inScope: doc.signatureSlot.inScope })`) into its slot. */
export function withSignature(doc: WrittenXml, signature: WrittenXml): WrittenXml {
  const slot = doc.signatureSlot;
  if (!slot) throw new XmlWriteError('the document has no signature slot');
  if (signature.xml !== signature.canonical) throw new XmlWriteError('a signature declares nothing extra');
  const splice = (text: string, at: number) => text.slice(0, at) + signature.xml + text.slice(at);
  const xml = splice(doc.xml, slot.offset);
  const canonical = doc.xml === doc.canonical ? xml : splice(doc.canonical, slot.canonicalOffset);
  return WrittenXml[sealed](xml, canonical, doc.rootAttributes, undefined);
}

interface Open {
  readonly qname: string;
  /** The canonical scope: what exclusive c14n has rendered on this element and its ancestors. */
  readonly rendered: ReadonlyMap<string, string>;
  /** The document scope: `rendered` plus the extra declarations (the same map when there are none). */
  readonly inDocument: ReadonlyMap<string, string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;
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

/** `prefix:local`, the QName a value such as `xsi:type` carries; declare `ns` where it is used. */
export function qname(ns: Namespace, local: string): string {
  checkName(local);
  if (ns.prefix === '') throw new XmlWriteError(`a QName value needs a prefix: ${local}`);
  return `${ns.prefix}:${local}`;
}

export interface WriterOptions {
  /**
   * Namespaces already declared by the output this text will be placed in (for writing into a
   * signature slot). Leave empty for a stand-alone document or a fragment cut out verbatim.
   */
  inScope?: ReadonlyMap<string, string>;
}

export interface ElementOptions {
  /**
   * Namespaces that a QName in an attribute value or in the text needs, declared on this element in
   * the document only (never in the canonical text, see the file comment). A prefix already bound
   * in scope to another URI cannot be declared here: the canonical scope would then disagree with
   * the document's for its descendants.
   */
  declare?: readonly Namespace[];
}

export class XmlWriter {
  private readonly out: string[] = [];
  /** The canonical text, kept apart from `out` only once an extra declaration makes them differ. */
  private canon: string[] = [];
  private length = 0;
  private canonicalLength = 0;
  private diverged = false;
  private readonly stack: Open[] = [];
  private readonly baseScope: ReadonlyMap<string, string>;
  private rootAttributes: ReadonlyMap<string, string> | undefined;
  private slot: SignatureSlot | undefined;
  private done = false;

  constructor(options: WriterOptions = {}) {
    this.baseScope = options.inScope ?? EMPTY_SCOPE;
  }

  /** Opens `<prefix:local …>`; `ns` null is an unqualified element in no namespace. */
  start(ns: Namespace | null, local: string, attrs: Attributes = {}, nsAttrs: readonly NsAttribute[] = [], options: ElementOptions = {}): this {
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

    const parent = this.stack.at(-1);
    const parentScope = parent?.rendered ?? this.baseScope;
    const parentDocument = parent?.inDocument ?? this.baseScope;
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
    const extra = extraDeclarations(options.declare ?? [], used, parentDocument, local);
    const rendered = bind(parentScope, declared);
    // Extras bind only prefixes unbound in the document scope, so the document scope is always the
    // canonical one plus extras: a name resolves the same in both texts.
    const inDocument = parentDocument === parentScope && extra.length === 0 ? rendered : bind(bind(parentDocument, declared), extra);

    const qname = prefix ? `${prefix}:${local}` : local;
    const attributes = sorted.map((a) => a.text).join('');
    const canonicalTag = `<${qname}${declarations(declared)}${attributes}>`;
    this.push(extra.length === 0 ? canonicalTag : `<${qname}${declarations([...declared, ...extra])}${attributes}>`, canonicalTag);
    if (this.stack.length === 0) this.rootAttributes = new Map(plain);
    this.stack.push({ qname, rendered, inDocument });
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
  leaf(ns: Namespace | null, local: string, text: string, attrs: Attributes = {}, nsAttrs: readonly NsAttribute[] = [], options: ElementOptions = {}): this {
    return this.start(ns, local, attrs, nsAttrs, options).text(text).end();
  }

  /**
   * Embeds XML this module wrote before (e.g. a signed assertion inside an RSTR, ENTRA.md §2.3)
   * byte for byte: its document text into the document, its canonical text into the canonical one.
   * Only `WrittenXml` is accepted — never a caller's string — so escaping cannot be bypassed. The
   * fragment keeps its own namespace declarations, so it can be cut out verbatim (ENTRA.md §6.7);
   * if this writer already declared the same binding above, the outer document carries a redundant
   * (harmless) declaration and is canonical everywhere but there.
   */
  raw(fragment: WrittenXml): this {
    if (this.stack.length === 0) throw new XmlWriteError('a fragment must be placed inside an element');
    if (fragment.signatureSlot) throw new XmlWriteError('the fragment still waits for its signature');
    this.push(fragment.xml, fragment.canonical);
    return this;
  }

  /** Marks the current position as where the enveloped signature goes (`sign.ts`). Once per document. */
  signatureHere(): this {
    const open = this.stack.at(-1);
    if (!open) throw new XmlWriteError('the signature goes inside the root element');
    if (this.slot) throw new XmlWriteError('one signature slot per document');
    this.slot = { offset: this.length, canonicalOffset: this.canonicalLength, inScope: open.rendered };
    return this;
  }

  finish(): WrittenXml {
    if (this.done) throw new XmlWriteError('finish() called twice');
    if (this.stack.length > 0 || !this.rootAttributes) throw new XmlWriteError('the document is not complete');
    this.done = true;
    const xml = this.out.join('');
    return WrittenXml[sealed](xml, this.diverged ? this.canon.join('') : xml, this.rootAttributes, this.slot);
  }

  /** Appends to both texts; `canonical` differs from `chunk` only by extra declarations. */
  private push(chunk: string, canonical = chunk): void {
    if (this.done) throw new XmlWriteError('the document is finished');
    if (!this.diverged && canonical !== chunk) {
      // Until now both texts were the same: start the canonical one from the document's.
      this.diverged = true;
      this.canon = this.out.slice();
    }
    this.out.push(chunk);
    this.length += chunk.length;
    if (this.diverged) this.canon.push(canonical);
    this.canonicalLength += canonical.length;
  }
}

/** The `declare` namespaces still to write on `local`: unique, not used by its names, not yet in scope. */
function extraDeclarations(declare: readonly Namespace[], used: ReadonlyMap<string, string>, inDocument: ReadonlyMap<string, string>, local: string): [string, string][] {
  const extra = new Map<string, string>();
  for (const { prefix, uri } of declare) {
    if (prefix === '') throw new XmlWriteError(`only a prefixed namespace can be declared extra on ${local}`);
    if (prefix === 'xml' && uri === XML_NS) continue; // always in scope
    const bound = used.get(prefix) ?? extra.get(prefix) ?? inDocument.get(prefix);
    if (bound === uri) continue;
    if (bound !== undefined || prefix === 'xml') throw new XmlWriteError(`prefix ${prefix} is already bound to another namespace on ${local}`);
    extra.set(prefix, uri);
  }
  return [...extra];
}

function bind(scope: ReadonlyMap<string, string>, bindings: readonly [string, string][]): ReadonlyMap<string, string> {
  if (bindings.length === 0) return scope;
  const next = new Map(scope);
  for (const [p, uri] of bindings) next.set(p, uri);
  return next;
}

/** ` xmlns…` attributes, sorted by prefix with the default namespace first (C14N 1.0 §2.3). */
function declarations(bindings: readonly [string, string][]): string {
  let text = '';
  for (const [p, uri] of [...bindings].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    text += p ? ` xmlns:${p}="${escapeAttribute(uri)}"` : ` xmlns="${escapeAttribute(uri)}"`;
  }
  return text;
}
