import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { namespace, qname, withSignature, XML_NS, XmlWriteError, XmlWriter, type WrittenXml } from '../../xml/writer.js';

/** xml-crypto's exclusive c14n of the document element: an implementation that is not ours. */
function excC14n(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  return new ExclusiveCanonicalization().process(doc.documentElement as never, {});
}

const A = namespace('a', 'urn:a');
const B = namespace('b', 'urn:b');
const C = namespace('c', 'urn:c');
const DEF = namespace('', 'urn:default');
const XML = namespace('xml', XML_NS);
const HOSTILE = `<script>alert("x")</script> & 'q' ]]> \t tab \n lf \r cr é 𝄞`;

const shapes: Record<string, () => WrittenXml> = {
  'nested prefixes, inherited and re-declared': () =>
    new XmlWriter()
      .start(A, 'Root', { z: '1', a: '2' })
      .leaf(A, 'Child', 'inherits a:')
      .start(B, 'Other').leaf(A, 'Deep', 'a: still in scope').leaf(B, 'Deeper', '').end()
      .start(null, 'Plain').leaf(B, 'Again', 'b: declared again, its first user was a sibling').end()
      .end()
      .finish(),
  'default namespaces mixed with prefixes': () =>
    new XmlWriter()
      .start(DEF, 'Root')
      .leaf(DEF, 'Same', 'no redeclaration')
      .start(A, 'Prefixed').leaf(DEF, 'StillDefault', '').leaf(namespace('', 'urn:other-default'), 'OtherDefault', '').end()
      .end()
      .finish(),
  'unqualified elements with no default namespace in scope': () =>
    new XmlWriter().start(null, 'Root', { b: '1', a: '2' }).leaf(null, 'Child', 'x').leaf(A, 'Q', '').end().finish(),
  'namespaced attributes sorted by URI then name': () =>
    new XmlWriter()
      .start(A, 'Root', { zeta: 'z', alpha: 'a', Mixed: 'M' }, [
        { ns: namespace('z', 'urn:aaa'), name: 'late', value: '1' },
        { ns: namespace('y', 'urn:bbb'), name: 'early', value: '2' },
        { ns: namespace('z', 'urn:aaa'), name: 'Early', value: '3' },
        { ns: XML, name: 'lang', value: 'en' },
      ])
      .leaf(B, 'Leaf', 'x', { Id: '_1' }, [{ ns: B, name: 'own', value: 'same prefix as element' }])
      .end()
      .finish(),
  'hostile text and attribute values': () =>
    new XmlWriter()
      .start(A, 'Root', { value: HOSTILE })
      .leaf(A, 'Text', HOSTILE)
      .leaf(A, 'Empty', '', { empty: '' })
      .end()
      .finish(),
  'a prefix rebound to another URI below': () =>
    new XmlWriter()
      .start(namespace('p', 'urn:one'), 'Root')
      .start(namespace('p', 'urn:two'), 'Rebound').leaf(namespace('p', 'urn:one'), 'BackAgain', '').end()
      .end()
      .finish(),
  'an embedded fragment written on its own': () => {
    const inner = new XmlWriter().start(B, 'Inner').leaf(B, 'X', 'y').end().finish();
    return new XmlWriter().start(A, 'Outer').raw(inner).end().finish();
  },
};

/** Documents whose QNames in values need declarations no name uses: the texts differ. */
const withExtras: Record<string, () => WrittenXml> = {
  'QNames in attribute values and text, declared extra': () =>
    new XmlWriter()
      .start(A, 'Root', { type: qname(B, 'T') }, [], { declare: [B, C] })
      .leaf(A, 'Value', qname(C, 'Code'))
      // visibly uses b: declares it again, as its canonical form must
      .leaf(B, 'Named', qname(B, 'Self'), {}, [], { declare: [B] })
      .start(A, 'Again', { ref: qname(B, 'U') }, [], { declare: [B] }).leaf(C, 'Deep', '').end()
      .start(null, 'Plain', {}, [], { declare: [namespace('d', 'urn:d')] }).leaf(null, 'P', 'd:x').end()
      .end()
      .finish(),
  'extras under a default namespace, beside namespaced attributes': () =>
    new XmlWriter()
      .start(DEF, 'Root', {}, [{ ns: B, name: 'attr', value: qname(C, 'V') }], { declare: [C, B, namespace('xml', XML_NS)] })
      .leaf(DEF, 'Child', qname(C, 'W'), {}, [], { declare: [C] })
      .end()
      .finish(),
  'a fragment with its own extras inside a document with extras': () => {
    const inner = new XmlWriter().start(B, 'Inner', { type: qname(C, 'T') }, [], { declare: [C] }).leaf(C, 'X', '').end().finish();
    return new XmlWriter().start(A, 'Outer', {}, [], { declare: [C] }).raw(inner).leaf(A, 'After', 'c:y').end().finish();
  },
};

describe('XmlWriter output is already exclusive-canonical', () => {
  for (const [name, build] of Object.entries(shapes)) {
    it(`equals xml-crypto's exclusive c14n: ${name}`, () => {
      const doc = build();
      assert.equal(excC14n(doc.xml), doc.xml);
      assert.equal(doc.canonical, doc.xml);
    });
  }

  for (const [name, build] of Object.entries(withExtras)) {
    it(`keeps a canonical text equal to xml-crypto's exclusive c14n of the document: ${name}`, () => {
      const doc = build();
      assert.notEqual(doc.xml, doc.canonical);
      assert.equal(excC14n(doc.xml), doc.canonical);
    });
  }

  it('reads back the hostile values unchanged', () => {
    const xml = shapes['hostile text and attribute values']!().xml;
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    const root = doc.documentElement!;
    assert.equal(root.getAttribute('value'), HOSTILE);
    assert.equal(root.getElementsByTagName('a:Text').item(0)?.textContent, HOSTILE);
    assert.doesNotMatch(xml, /<script>/);
  });
});

describe('XmlWriter extra declarations (QNames in values)', () => {
  const parse = (xml: string) => new DOMParser().parseFromString(xml, 'application/xml').documentElement!;

  it('declares them on the element in the document only, where every QName value resolves', () => {
    const doc = withExtras['QNames in attribute values and text, declared extra']!();
    assert.match(doc.xml, /^<a:Root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" type="b:T">/);
    assert.match(doc.canonical, /^<a:Root xmlns:a="urn:a" type="b:T">/);
    const root = parse(doc.xml);
    assert.equal(root.lookupNamespaceURI('b'), B.uri);
    const value = root.getElementsByTagNameNS(A.uri, 'Value').item(0)!;
    assert.equal(value.lookupNamespaceURI(value.textContent!.split(':')[0]!), C.uri);
    const plain = root.getElementsByTagName('P').item(0)!;
    assert.equal(plain.lookupNamespaceURI('d'), 'urn:d');
  });

  it('still declares a prefix on an element that visibly uses it when only an ancestor declared it extra', () => {
    const doc = withExtras['QNames in attribute values and text, declared extra']!();
    assert.match(doc.canonical, /<b:Named xmlns:b="urn:b">b:Self<\/b:Named>/);
    assert.match(doc.xml, /<b:Named xmlns:b="urn:b">b:Self<\/b:Named>/);
    assert.match(doc.xml, /<c:Deep xmlns:c="urn:c"><\/c:Deep>/);
    // already in the document's scope: not repeated
    assert.match(doc.xml, /<a:Again ref="b:U">/);
  });

  it('embeds a fragment\'s document text in the document and its canonical text in the canonical one', () => {
    const inner = new XmlWriter().start(B, 'Inner', { type: qname(C, 'T') }, [], { declare: [C] }).end().finish();
    const outer = new XmlWriter().start(A, 'Outer').raw(inner).end().finish();
    assert.ok(outer.xml.includes(inner.xml));
    assert.ok(outer.canonical.includes(inner.canonical));
    assert.ok(!outer.canonical.includes('xmlns:c'));
  });

  it('keeps the signature slot in both texts and splices the signature into both', () => {
    const doc = new XmlWriter()
      .start(A, 'R', { ID: '_x', type: qname(B, 'T') }, [], { declare: [B] })
      .leaf(A, 'Issuer', 'i', {}, [], { declare: [C] })
      .signatureHere()
      .leaf(A, 'Rest', '')
      .end()
      .finish();
    const slot = doc.signatureSlot!;
    assert.equal(doc.xml.slice(0, slot.offset), '<a:R xmlns:a="urn:a" xmlns:b="urn:b" ID="_x" type="b:T"><a:Issuer xmlns:c="urn:c">i</a:Issuer>');
    assert.equal(doc.canonical.slice(0, slot.canonicalOffset), '<a:R xmlns:a="urn:a" ID="_x" type="b:T"><a:Issuer>i</a:Issuer>');
    assert.equal(slot.inScope.get('b'), undefined, 'the slot scope is the canonical one');
    const sig = new XmlWriter({ inScope: slot.inScope }).leaf(C, 'Sig', 'x').finish();
    const signed = withSignature(doc, sig);
    assert.equal(signed.xml, doc.xml.slice(0, slot.offset) + sig.xml + doc.xml.slice(slot.offset));
    assert.equal(signed.canonical, doc.canonical.slice(0, slot.canonicalOffset) + sig.xml + doc.canonical.slice(slot.canonicalOffset));
    assert.equal(excC14n(signed.xml), signed.canonical);
  });

  it('refuses a signature that declares something extra', () => {
    const doc = new XmlWriter().start(A, 'R').signatureHere().end().finish();
    const sig = new XmlWriter({ inScope: doc.signatureSlot!.inScope }).leaf(C, 'Sig', 'b:x', {}, [], { declare: [B] }).finish();
    assert.throws(() => withSignature(doc, sig), XmlWriteError);
  });

  it('refuses an extra that rebinds a prefix in scope, clashes with a name on the element, or has no prefix', () => {
    const other = namespace('b', 'urn:not-b');
    assert.throws(() => new XmlWriter().start(B, 'R').start(A, 'S', {}, [], { declare: [other] }), XmlWriteError);
    assert.throws(() => new XmlWriter().start(A, 'R', {}, [], { declare: [B] }).start(A, 'S', {}, [], { declare: [other] }), XmlWriteError);
    assert.throws(() => new XmlWriter().start(B, 'R', {}, [], { declare: [other] }), XmlWriteError);
    assert.throws(() => new XmlWriter().start(A, 'R', {}, [], { declare: [B, other] }), XmlWriteError);
    assert.throws(() => new XmlWriter().start(A, 'R', {}, [], { declare: [DEF] }), XmlWriteError);
    assert.throws(() => qname(DEF, 'T'), XmlWriteError);
  });
});

describe('XmlWriter guards', () => {
  it('refuses characters XML cannot carry', () => {
    for (const bad of ['\u0000', '\u0001', '\u001b', '\uFFFE', '\uD800']) {
      assert.throws(() => new XmlWriter().start(A, 'R').text(`x${bad}`), XmlWriteError);
      assert.throws(() => new XmlWriter().start(A, 'R', { v: bad }), XmlWriteError);
    }
  });

  it('refuses names that are not plain XML names', () => {
    assert.throws(() => new XmlWriter().start(A, 'a b'), XmlWriteError);
    assert.throws(() => new XmlWriter().start(A, 'R', { 'x="1" y': '2' }), XmlWriteError);
    assert.throws(() => namespace('1x', 'urn:x'), XmlWriteError);
  });

  it('refuses a second root, unclosed elements and the same attribute twice', () => {
    const w = new XmlWriter().start(A, 'R').end();
    assert.throws(() => w.start(A, 'S'), XmlWriteError);
    assert.throws(() => new XmlWriter().start(A, 'R').finish(), XmlWriteError);
    assert.throws(() => new XmlWriter().start(A, 'R', {}, [{ ns: A, name: 'x', value: '1' }, { ns: A, name: 'x', value: '2' }]), XmlWriteError);
  });

  it('refuses an unqualified element below a default namespace (the xmlns="" shape canonicalisers disagree on)', () => {
    assert.throws(() => new XmlWriter().start(DEF, 'Root').start(null, 'None'), XmlWriteError);
  });

  it('refuses to embed a fragment that still waits for its signature', () => {
    const unsigned = new XmlWriter().start(B, 'Inner').signatureHere().end().finish();
    assert.throws(() => new XmlWriter().start(A, 'Outer').raw(unsigned), XmlWriteError);
  });

  it('records where the signature goes and the namespaces in scope there', () => {
    const doc = new XmlWriter({}).start(A, 'R', { ID: '_x' }).leaf(A, 'Issuer', 'i').signatureHere().leaf(A, 'Rest', '').end().finish();
    assert.equal(doc.xml.slice(0, doc.signatureSlot!.offset), '<a:R xmlns:a="urn:a" ID="_x"><a:Issuer>i</a:Issuer>');
    assert.equal(doc.signatureSlot!.canonicalOffset, doc.signatureSlot!.offset);
    assert.equal(doc.signatureSlot!.inScope.get('a'), 'urn:a');
    assert.equal(doc.rootAttributes.get('ID'), '_x');
  });
});
