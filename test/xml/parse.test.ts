import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { booleanAttribute, type ParseOptions, childElements, DEFAULT_MAX_XML_DEPTH, DEFAULT_MAX_XML_ELEMENTS, onlyChild, optionalChild, parseXml, rootElement, textOf, XmlRejected, type XmlRejectReason } from '../../xml/parse.js';

const rejects = (input: string | Uint8Array, reason: XmlRejectReason, options: ParseOptions = {}): void => {
  assert.throws(() => parseXml(input, options), (err: unknown) => err instanceof XmlRejected && err.reason === reason);
};

const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const A = 'urn:oasis:names:tc:SAML:2.0:assertion';

describe('parseXml', () => {
  it('parses a namespaced document and finds children by namespace and local name', () => {
    const doc = parseXml(`<?xml version="1.0" encoding="UTF-8"?>
      <samlp:AuthnRequest xmlns:samlp="${P}" ID="_1"><saml:Issuer xmlns:saml="${A}">urn:federation:MicrosoftOnline</saml:Issuer></samlp:AuthnRequest>`);
    const root = rootElement(doc, P, 'AuthnRequest');
    assert.equal(textOf(onlyChild(root, A, 'Issuer')), 'urn:federation:MicrosoftOnline');
  });

  it('refuses a document over the size cap', () => {
    rejects(`<a>${'x'.repeat(300 * 1024)}</a>`, 'too-large');
    rejects('<a>hello</a>', 'too-large', { maxBytes: 8 });
    assert.ok(parseXml('<a>hello</a>', { maxBytes: 12 }));
  });

  it('refuses characters XML does not allow, however they are written', () => {
    for (const bad of ['<a>&#0;</a>', '<a>x&#1;</a>', '<a b="&#xFFFE;"/>', '<a>&#xD800;</a>', '<a>\u0001</a>']) rejects(bad, 'malformed');
    assert.equal(textOf(parseXml('<a>&#x9;&#xA;ok&#x10000;</a>').documentElement!), '\t\nok\u{10000}');
  });

  it('counts the cap in UTF-8 bytes, not characters', () => {
    rejects('<a>éééé</a>', 'too-large', { maxBytes: 10 });
  });

  it('refuses any DOCTYPE, with or without entities (billion laughs, XXE)', () => {
    rejects('<!DOCTYPE a><a/>', 'doctype');
    rejects('<!DOCTYPE a [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>', 'doctype');
    rejects('<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>', 'doctype');
    rejects('<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY % p SYSTEM "http://127.0.0.1/x">%p;]><a/>', 'doctype');
    rejects(Buffer.from('<!doctype a><a/>'), 'doctype');
  });

  it('refuses undeclared entities instead of dropping them', () => {
    rejects('<a>&xxe;</a>', 'malformed');
  });

  it('refuses more or fewer than one root element', () => {
    rejects('<a/><b/>', 'not-one-root');
    rejects('', 'malformed');
    rejects('text<a/>', 'malformed');
  });

  it('refuses malformed XML that a lenient parser would repair', () => {
    rejects('<a><b></a>', 'malformed');
    rejects('<a b="1" b="2"/>', 'malformed');
    rejects('<a>unclosed', 'malformed');
  });

  it('refuses an unbound namespace prefix', () => {
    rejects('<x:a/>', 'malformed');
  });

  it('refuses bytes that are not UTF-8', () => {
    rejects(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]), 'not-utf8');
  });

  it('walks a deeply nested document a caller allows without overflowing the stack', () => {
    const depth = 36_000;
    assert.ok(parseXml('<a>'.repeat(depth) + '</a>'.repeat(depth), { maxDepth: depth, maxElements: depth }));
  });

  it('checks the root by namespace, not by prefix', () => {
    const doc = parseXml(`<samlp:AuthnRequest xmlns:samlp="urn:evil"/>`);
    assert.throws(() => rootElement(doc, P, 'AuthnRequest'), (e: unknown) => e instanceof XmlRejected && e.reason === 'unexpected-element');
  });
});

describe('parseXml depth and element limits', () => {
  const nested = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
  const wide = (n: number) => `<r>${'<a/>'.repeat(n - 1)}</r>`;

  it('refuses nesting deeper than maxDepth, exactly at the limit (the root is depth 1)', () => {
    assert.ok(parseXml(nested(5), { maxDepth: 5 }));
    rejects(nested(6), 'too-deep', { maxDepth: 5 });
    assert.ok(parseXml(`<r>${nested(4).replace('<a></a>', '<a/>')}</r>`, { maxDepth: 5 }));
    rejects(`<r>${nested(4).replace('<a></a>', '<a><b/></a>')}</r>`, 'too-deep', { maxDepth: 5 });
  });

  it('refuses more elements than maxElements, exactly at the limit', () => {
    assert.ok(parseXml(wide(10), { maxElements: 10 }));
    rejects(wide(11), 'too-many-elements', { maxElements: 10 });
  });

  it('applies generous defaults', () => {
    assert.ok(parseXml(nested(DEFAULT_MAX_XML_DEPTH)));
    rejects(nested(DEFAULT_MAX_XML_DEPTH + 1), 'too-deep');
    assert.ok(parseXml(wide(DEFAULT_MAX_XML_ELEMENTS)));
    rejects(wide(DEFAULT_MAX_XML_ELEMENTS + 1), 'too-many-elements');
  });

  it('does not count tags inside comments, CDATA, processing instructions or quoted attribute values', () => {
    const hidden = `<!-- <a><a> --><![CDATA[<a><a>]]><?pi <a><a> ?>`;
    const doc = `<?xml version="1.0"?><r x="/>" y='-->' z="'>">${hidden}<a q='">'/><a q="/"></a>${hidden}</r><!-- <a> -->`;
    assert.ok(parseXml(doc, { maxDepth: 2, maxElements: 3 }));
    rejects(doc, 'too-many-elements', { maxDepth: 2, maxElements: 2 });
    rejects(doc.replace('<a q="/"></a>', '<a q="/"><b/></a>'), 'too-deep', { maxDepth: 2 });
    // XML forbids '<' in an attribute value: the parser refuses it, the scan does not count it.
    rejects('<r a="<b><b>"/>', 'malformed', { maxDepth: 1, maxElements: 1 });
  });

  it('reads an empty tag with white space around its "/" as closed, as xmldom does', () => {
    assert.ok(parseXml(`<r>${'<a\n/><a/ >'.repeat(3)}</r>`, { maxDepth: 2 }));
  });

  it('refuses markup the scan cannot close instead of guessing', () => {
    for (const bad of ['<r><!-- </r>', '<r><![CDATA[ </r>', '<r><?pi </r>', '<r a="></r>', '<r></r></x>', '<r><!ELEMENT r ANY></r>']) rejects(bad, 'malformed');
  });
});

describe('booleanAttribute (xs:boolean, XML Schema Part 2 §3.2.2)', () => {
  const value = (v: string) => booleanAttribute(parseXml(`<a xmlns:s="urn:s" s:f="${v}"/>`).documentElement!, 'urn:s', 'f');

  it('reads true, false, 1 and 0 after white-space collapse', () => {
    for (const v of ['true', '1', ' 1 ', '&#9;true&#10;', '\ttrue\n', '&#13; 1']) assert.equal(value(v), true, v);
    for (const v of ['false', '0', ' 0', '&#10;false ']) assert.equal(value(v), false, v);
  });

  it('is undefined when the attribute is absent, matching the namespace', () => {
    assert.equal(booleanAttribute(parseXml('<a f="1"/>').documentElement!, 'urn:s', 'f'), undefined);
    assert.equal(booleanAttribute(parseXml('<a f="1"/>').documentElement!, null, 'f'), true);
  });

  it('refuses a value outside the lexical space, and white space XML does not define', () => {
    for (const v of ['yes', 'no', '', ' ', 'TRUE', 'True', '1 1', '01', '&#xA0;1', '1&#xFEFF;']) {
      assert.throws(() => value(v), (e: unknown) => e instanceof XmlRejected && e.reason === 'malformed', JSON.stringify(v));
    }
  });
});

describe('child helpers', () => {
  const doc = parseXml(`<r xmlns:a="${A}" xmlns:b="urn:other"><a:Issuer>one</a:Issuer><b:Issuer>other</b:Issuer><a:Issuer>two</a:Issuer><a:N>ali<!-- x -->ce</a:N><a:M><a:X/></a:M></r>`);
  const root = doc.documentElement!;

  it('childElements matches the namespace strictly', () => {
    assert.deepEqual(childElements(root, A, 'Issuer').map(textOf), ['one', 'two']);
    assert.deepEqual(childElements(root, 'urn:other', 'Issuer').map(textOf), ['other']);
  });

  it('onlyChild refuses duplicates and absence', () => {
    assert.throws(() => onlyChild(root, A, 'Issuer'), (e: unknown) => e instanceof XmlRejected && e.reason === 'duplicate-element');
    assert.throws(() => onlyChild(root, A, 'Missing'), (e: unknown) => e instanceof XmlRejected && e.reason === 'missing-element');
    assert.equal(optionalChild(root, A, 'Missing'), undefined);
  });

  it('textOf reads the whole value across a comment', () => {
    assert.equal(textOf(onlyChild(root, A, 'N')), 'alice');
  });

  it('textOf refuses element content', () => {
    assert.throws(() => textOf(onlyChild(root, A, 'M')), XmlRejected);
  });
});
