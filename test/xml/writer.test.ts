import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { namespace, XML_NS, XmlWriteError, XmlWriter, type CanonicalXml } from '../../xml/writer.js';

/** xml-crypto's exclusive c14n of the document element: an implementation that is not ours. */
function excC14n(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  return new ExclusiveCanonicalization().process(doc.documentElement as never, {});
}

const A = namespace('a', 'urn:a');
const B = namespace('b', 'urn:b');
const DEF = namespace('', 'urn:default');
const XML = namespace('xml', XML_NS);
const HOSTILE = `<script>alert("x")</script> & 'q' ]]> \t tab \n lf \r cr é 𝄞`;

const shapes: Record<string, () => CanonicalXml> = {
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

describe('XmlWriter output is already exclusive-canonical', () => {
  for (const [name, build] of Object.entries(shapes)) {
    it(`equals xml-crypto's exclusive c14n: ${name}`, () => {
      const xml = build().xml;
      assert.equal(excC14n(xml), xml);
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
    assert.equal(doc.signatureSlot!.inScope.get('a'), 'urn:a');
    assert.equal(doc.rootAttributes.get('ID'), '_x');
  });
});
