import { DOMParser, XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';
import { rst } from '../wstrust/rst.js';
import { appliesTos, passwords, userNames, ENTRA, APP, type Target } from './inputs.js';
import { flipBit, mutateText, type Region } from './mutate-text.js';
import type { Rng } from './prng.js';

/**
 * Mutations of a valid WS-Trust username RST, built fresh (Timestamp Created now, Expires +5 min)
 * from the MSAL fixture templates: first structure-aware ones on the DOM (duplicate, remove, wrap,
 * re-namespace an element, change the credentials or AppliesTo, mustUnderstand headers, huge text,
 * deep nesting…), then character-level ones on the serialised text, aimed at one value or not.
 */
export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsa2004: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsse11: 'http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsp: 'http://schemas.xmlsoap.org/ws/2004/09/policy',
  trust13: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  trust2005: 'http://schemas.xmlsoap.org/ws/2005/02/trust',
} as const;

export const ENDPOINTS = {
  '13': { path: '/adfs/services/trust/13/usernamemixed', template: 'msal-python-13', action: `${NS.trust13}/RST/Issue` },
  '2005': { path: '/adfs/services/trust/2005/usernamemixed', template: 'msal-net-2005', action: `${NS.trust2005}/RST/Issue` },
} as const;
export type EndpointName = keyof typeof ENDPOINTS;

export interface RstCase {
  endpoint: EndpointName;
  path: string;
  contentType: string;
  body: Buffer;
  steps: string[];
}

interface Ctx {
  rng: Rng;
  doc: Document;
  t: Target;
  endpoint: EndpointName;
  url: string;
  now: Date;
}

const ELEMENT = 1;

/** Every element in document order (without recursion: deep nesting is one of the mutations). */
function elements(doc: Document): Element[] {
  const all: Element[] = [];
  const pending: Element[] = doc.documentElement ? [doc.documentElement] : [];
  for (let el = pending.pop(); el; el = pending.pop()) {
    all.push(el);
    pending.push(...Array.from(el.childNodes).filter((n): n is Element => n.nodeType === ELEMENT).reverse());
  }
  return all;
}

/** The first `localName` element; an Address is AppliesTo's (ReplyTo has one too). */
function named(doc: Document, localName: string): Element | undefined {
  const inAppliesTo = (e: Element) => e.parentNode?.parentNode?.nodeName.endsWith('AppliesTo') ?? false;
  return elements(doc).find((e) => e.localName === localName && (localName !== 'Address' || inAppliesTo(e)));
}

function setText(el: Element, ...nodes: (string | Node)[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  for (const n of nodes) el.appendChild(typeof n === 'string' ? el.ownerDocument!.createTextNode(n) : n);
}

/** Any element but the root, the credentials' and the Header's more often (that is where the checks are). */
function someElement(c: Ctx): Element {
  const all = elements(c.doc).slice(1);
  const favoured = all.filter((e) => ['Username', 'Password', 'UsernameToken', 'Security', 'Timestamp', 'Address', 'AppliesTo'].includes(e.localName ?? ''));
  return c.rng.chance(0.4) && favoured.length ? c.rng.pick(favoured) : c.rng.pick(all);
}

const qualified = (el: Element) => `${el.prefix ? `${el.prefix}:` : ''}${el.localName}`;

function renamed(c: Ctx, el: Element, ns: string | null, name: string): Element {
  const copy = c.doc.createElementNS(ns, name);
  for (const a of Array.from(el.attributes)) copy.setAttributeNS(a.namespaceURI, a.name, a.value);
  while (el.firstChild) copy.appendChild(el.firstChild);
  el.parentNode!.replaceChild(copy, el);
  return copy;
}

/** A text value of a given shape, of the given length. */
function bulk(rng: Rng, length: number): string {
  return rng.pick(['A', 'x', ' ', '&', '\u00e9', 'ab<']).repeat(length).slice(0, length);
}

type DomMutation = (c: Ctx) => string;

const setValue = (localName: string, values: (c: Ctx) => string[]): DomMutation => (c) => {
  const el = named(c.doc, localName);
  if (!el) return `no ${localName} to change`;
  const v = c.rng.pick(values(c));
  setText(el, v);
  return `${localName} := ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…(${v.length})` : v)}`;
};

/** A value read the same through comments and CDATA: `ali<!---->ce` and `<![CDATA[alice]]>` are alice. */
const splitValue = (localName: string): DomMutation => (c) => {
  const el = named(c.doc, localName);
  if (!el) return `no ${localName} to split`;
  const v = el.textContent ?? '';
  const at = c.rng.int(v.length + 1);
  const how = c.rng.pick(['comment', 'cdata', 'pi'] as const);
  const middle = how === 'comment' ? c.doc.createComment(c.rng.pick(['', 'x', ' - '])) : how === 'pi' ? c.doc.createProcessingInstruction('x', 'y') : c.doc.createCDATASection(v.slice(at));
  setText(el, v.slice(0, at), middle, ...(how === 'cdata' ? [] : [v.slice(at)]));
  return `${localName} split @${at} by ${how}`;
};

const NS_SWAPS: readonly string[] = [NS.soap11, NS.wsa2004, NS.wsse11, NS.wsu, NS.wsse, NS.trust13, NS.trust2005, 'urn:fuzz', '', 'http://www.w3.org/2005/08/addressing/', 'HTTP://WWW.W3.ORG/2003/05/SOAP-ENVELOPE'];

const domMutations: readonly (readonly [number, string, DomMutation])[] = [
  [6, 'user name', setValue('Username', (c) => userNames(c.t))],
  [5, 'password', setValue('Password', (c) => passwords(c.t))],
  [2, 'upper-case user name', (c) => {
    const el = named(c.doc, 'Username');
    if (el) setText(el, (el.textContent ?? '').toUpperCase());
    return 'Username upper-cased';
  }],
  [2, 'split user name', splitValue('Username')],
  [2, 'split password', splitValue('Password')],
  [4, 'AppliesTo', setValue('Address', () => appliesTos())],
  [1, 'AppliesTo 2004/08', (c) => {
    const ref = named(c.doc, 'EndpointReference');
    if (!ref) return 'no EndpointReference';
    const address = Array.from(ref.childNodes).find((n): n is Element => n.nodeType === ELEMENT);
    renamed(c, ref, NS.wsa2004, 'wsa4:EndpointReference');
    if (address) renamed(c, address, NS.wsa2004, 'wsa4:Address');
    return 'EndpointReference in WS-Addressing 2004/08';
  }],
  [4, 'duplicate element', (c) => {
    const el = someElement(c);
    const copy = el.cloneNode(true);
    el.parentNode!.insertBefore(copy, c.rng.chance(0.5) ? el : el.nextSibling);
    return `duplicate ${qualified(el)}`;
  }],
  [4, 'remove element', (c) => {
    const el = someElement(c);
    el.parentNode!.removeChild(el);
    return `remove ${qualified(el)}`;
  }],
  [3, 'change namespace', (c) => {
    const el = someElement(c);
    const ns = c.rng.pick(NS_SWAPS);
    renamed(c, el, ns || null, ns ? `n${c.rng.int(9)}:${el.localName}` : (el.localName ?? 'x'));
    return `${qualified(el)} moved to namespace ${JSON.stringify(ns)}`;
  }],
  [2, 'rename element', (c) => {
    const el = someElement(c);
    const name = c.rng.pick([(el.localName ?? '').toLowerCase(), (el.localName ?? '').toUpperCase(), 'UserName', 'Passwd', 'Username', 'Password', `${el.localName}x`]);
    renamed(c, el, el.namespaceURI, el.prefix ? `${el.prefix}:${name}` : name);
    return `${qualified(el)} renamed ${name}`;
  }],
  [3, 'wrap in another element', (c) => {
    const el = someElement(c);
    const wrapper = c.rng.chance(0.7)
      ? c.doc.createElementNS('urn:fuzz', 'f:Wrapper')
      : c.doc.createElementNS(el.namespaceURI, el.prefix ? `${el.prefix}:${el.localName}` : (el.localName ?? 'x'));
    el.parentNode!.replaceChild(wrapper, el);
    wrapper.appendChild(el);
    return `wrap ${qualified(el)} in ${qualified(wrapper)}`;
  }],
  [3, 'mustUnderstand header', (c) => {
    const header = named(c.doc, 'Header');
    if (!header) return 'no Header';
    const flag = c.rng.pick(['1', 'true', '0', 'false', ' 1', 'TRUE', 'yes', '']);
    if (c.rng.chance(0.5)) {
      const ns = c.rng.pick(['urn:fuzz', NS.wsa, NS.wsse, NS.wsu, NS.soap12, 'http://schemas.microsoft.com/ws/2005/05/addressing/none']);
      const block = c.doc.createElementNS(ns, `h${c.rng.int(9)}:${c.rng.pick(['Extra', 'Action', 'Security', 'FaultTo', 'From'])}`);
      block.setAttributeNS(NS.soap12, 's:mustUnderstand', flag);
      block.appendChild(c.doc.createTextNode('x'));
      header.insertBefore(block, c.rng.pick(Array.from(header.childNodes)) ?? null);
      return `header {${ns}}${block.localName} mustUnderstand=${JSON.stringify(flag)}`;
    }
    const blocks = Array.from(header.childNodes).filter((n): n is Element => n.nodeType === ELEMENT);
    const block = c.rng.pick(blocks);
    block.setAttributeNS(c.rng.chance(0.8) ? NS.soap12 : NS.soap11, 's:mustUnderstand', flag);
    return `mustUnderstand=${JSON.stringify(flag)} on ${qualified(block)}`;
  }],
  [2, 'huge text', (c) => {
    const el = c.rng.chance(0.6) ? (named(c.doc, c.rng.pick(['Username', 'Password', 'MessageID', 'Address', 'Created'])) ?? someElement(c)) : someElement(c);
    const length = c.rng.pick([300, 5000, 30_000, 60_000, 70_000]);
    setText(el, bulk(c.rng, length));
    return `${qualified(el)} := ${length} characters`;
  }],
  [2, 'deep nesting', (c) => {
    const el = c.rng.chance(0.5) ? (named(c.doc, c.rng.pick(['Header', 'Username', 'AppliesTo', 'Security'])) ?? someElement(c)) : someElement(c);
    const depth = c.rng.pick([64, 1000, 4000, 8500]);
    let inner: Element = c.doc.createElementNS(c.rng.chance(0.5) ? 'urn:fuzz' : NS.wsse, 'd:n');
    const top = inner;
    for (let i = 1; i < depth; i++) inner = inner.appendChild(c.doc.createElementNS(inner.namespaceURI, 'd:n')) as Element;
    el.appendChild(top);
    return `${depth} nested elements in ${qualified(el)}`;
  }],
  [2, 'timestamp', (c) => {
    const which = c.rng.pick(['Created', 'Expires']);
    const el = named(c.doc, which);
    if (!el) return `no ${which}`;
    const t = c.now.getTime();
    const iso = (ms: number) => new Date(ms).toISOString();
    const v = c.rng.pick([iso(t - 20 * 60_000), iso(t + 20 * 60_000), iso(t - 60_000), iso(t + 60 * 60_000), iso(t - 4 * 60_000), `  ${iso(t)}  `, iso(t).replace('Z', ''),
      iso(t).replace('Z', '+14:00'), iso(t).toLowerCase(), iso(t).replace(/\.\d+Z/, '.1234567890Z'), '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '10000-01-01T00:00:00Z',
      '2016-12-31T23:59:60Z', '', 'yesterday', `${iso(t)}\0`, iso(t).replace('T', ' ')]);
    setText(el, v);
    return `${which} := ${JSON.stringify(v)}`;
  }],
  [1, 'Action', setValue('Action', (c) => [ENDPOINTS['13'].action, ENDPOINTS['2005'].action, ` ${ENDPOINTS[c.endpoint].action} `, ENDPOINTS[c.endpoint].action.toUpperCase(), `${ENDPOINTS[c.endpoint].action}/`, ''])],
  [1, 'To', setValue('To', (c) => {
    const to = `${c.url}${ENDPOINTS[c.endpoint].path}`;
    return [`${to}/`, to.replace('localhost', 'LOCALHOST'), to.replace('https:', 'http:'), to.replace(/:\d+\//, ':1/'), `${to}?x`, `${to}%2F`, ` ${to} `, 'urn:x', '', to.replace('usernamemixed', 'windowstransport'), `${c.url}${ENDPOINTS[c.endpoint === '13' ? '2005' : '13'].path}`];
  })],
  [1, 'MessageID', setValue('MessageID', (c) => [`urn:uuid:${c.rng.hex(8)}`, 'x'.repeat(300), 'a b', '<>&', '', '\u00e9t\u00e9', `urn:uuid:${c.rng.hex(8)}\n`])],
  [2, 'nonce', (c) => {
    const token = named(c.doc, 'UsernameToken');
    if (!token) return 'no UsernameToken';
    const nonce = c.doc.createElementNS(NS.wsse, 'wsse:Nonce');
    const value = c.rng.pick([Buffer.from(c.rng.hex(32), 'hex').toString('base64'), '', '!!', 'x'.repeat(2000)]);
    nonce.appendChild(c.doc.createTextNode(value));
    token.appendChild(nonce);
    const created = c.doc.createElementNS(NS.wsu, 'wsu:Created');
    created.appendChild(c.doc.createTextNode(new Date(c.now.getTime() + c.rng.pick([0, -60_000, -30 * 60_000, 30 * 60_000])).toISOString()));
    if (c.rng.chance(0.7)) token.appendChild(created);
    return `UsernameToken Nonce ${JSON.stringify(value.slice(0, 40))}`;
  }],
  [1, 'password Type', (c) => {
    const el = named(c.doc, 'Password');
    const type = c.rng.pick(['http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText', 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest', '', 'PasswordText']);
    el?.setAttribute('Type', type);
    return `Password Type=${JSON.stringify(type)}`;
  }],
  [2, 'reorder', (c) => {
    const el = someElement(c);
    const parent = el.parentNode!;
    parent.removeChild(el);
    parent.insertBefore(el, c.rng.pick([...Array.from(parent.childNodes), null]));
    return `move ${qualified(el)} among its siblings`;
  }],
  [2, 'attribute', (c) => {
    const el = someElement(c);
    const [ns, name] = c.rng.pick([[null, 'x'], ['urn:fuzz', 'f:a'], [NS.wsu, 'wsu:Id'], ['http://www.w3.org/XML/1998/namespace', 'xml:lang'], [null, 'Type'], [NS.soap12, 's:relay']] as const);
    const value = c.rng.pick(['_0', 'x', '', '<&>"\'', '\u00e9', 'ADALUsernameToken']);
    el.setAttributeNS(ns, name, value);
    return `attribute ${name}=${JSON.stringify(value)} on ${qualified(el)}`;
  }],
  [2, 'text or comment', (c) => {
    const el = someElement(c);
    const node = c.rng.weighted<() => Node>([
      [2, () => c.doc.createTextNode(c.rng.pick(['\n  ', 'x', ' stray text '] as const))],
      [2, () => c.doc.createComment(c.rng.pick(['', ' a comment ', 'alice']))],
      [1, () => c.doc.createProcessingInstruction('fuzz', 'x')],
    ])();
    el.insertBefore(node, c.rng.pick([...Array.from(el.childNodes), null]));
    return `${node.nodeName} in ${qualified(el)}`;
  }],
  [1, 'RST values', (c) => {
    const trust = c.endpoint === '13' ? NS.trust13 : NS.trust2005;
    const rstEl = named(c.doc, 'RequestSecurityToken');
    if (!rstEl) return 'no RequestSecurityToken';
    const [name, value] = c.rng.pick([
      ['TokenType', 'urn:oasis:names:tc:SAML:1.0:assertion'], ['TokenType', 'urn:oasis:names:tc:SAML:2.0:assertion'], ['TokenType', ''],
      ['KeyType', `${trust}/SymmetricKey`], ['RequestType', `${trust}/Validate`], ['RequestType', `${NS.trust13}/Issue`], ['RequestType', `${NS.trust2005}/Issue`],
    ] as const);
    const existing = Array.from(rstEl.childNodes).find((n): n is Element => n.nodeType === ELEMENT && n.localName === name);
    const el = existing ?? rstEl.appendChild(c.doc.createElementNS(trust, `wst:${name}`));
    setText(el as Element, value);
    return `${name} := ${value}`;
  }],
];

type TextMutation = (c: { rng: Rng; t: Target }, text: string) => { text: string; step: string };

/** Value regions: the text between `<p:Name …>` and the next `<` (for Address, the one after AppliesTo). */
function region(text: string, localName: string): Region | undefined {
  const from = localName === 'Address' ? Math.max(0, text.search(/AppliesTo/)) : 0;
  const m = new RegExp(`<(?:[\\w.-]+:)?${localName}(?:\\s[^>]*)?>`, 'g');
  m.lastIndex = from;
  const found = m.exec(text);
  if (!found) return undefined;
  const start = found.index + found[0].length;
  const end = text.indexOf('<', start);
  return [start, end < 0 ? text.length : end];
}

const textMutations: readonly (readonly [number, TextMutation])[] = [
  [10, ({ rng }, text) => {
    const name = rng.pick(['Username', 'Username', 'Password', 'Password', 'Address', 'Created', 'Expires', 'Action', 'To', 'MessageID', 'RequestType', 'KeyType']);
    const r = region(text, name);
    const m = mutateText(rng, text, r);
    return { text: m.text, step: `${r ? name : 'anywhere'}: ${m.step}` };
  }],
  [5, ({ rng }, text) => mutateText(rng, text)],
  [2, ({ rng }, text) => {
    // Character references decode to the same value: still alice, still her password.
    const name = rng.pick(['Username', 'Password', 'Address']);
    const r = region(text, name);
    if (!r) return { text, step: `no ${name} for character references` };
    const value = text.slice(r[0], r[1]).replace(/[A-Za-z0-9@!.]/g, (ch) => (rng.chance(0.5) ? `&#${rng.chance(0.5) ? ch.charCodeAt(0) : `x${ch.charCodeAt(0).toString(16)}`};` : ch));
    return { text: text.slice(0, r[0]) + value + text.slice(r[1]), step: `${name} as character references` };
  }],
  [2, ({ rng }, text) => {
    // Prefixes are arbitrary: renaming one everywhere changes nothing a namespace-aware reader sees.
    const prefix = rng.pick(['s', 'wsse', 'wsu', 'wsa', 'wst', 'wsp']);
    const to = rng.pick(['x', 'S', 'soap', 'a', 'wsse2']);
    return { text: text.replaceAll(`xmlns:${prefix}=`, `xmlns:${to}=`).replace(new RegExp(`([<\\s/])${prefix}:`, 'g'), `$1${to}:`), step: `prefix ${prefix} → ${to}` };
  }],
  [2, ({ rng }, text) => {
    const body = text.replace(/^<\?xml[^>]*\?>/, '');
    const [prefix, name] = rng.pick([
      ['\ufeff', 'BOM'], ['<?xml version="1.0" encoding="utf-16"?>', 'utf-16 declaration'], ['<?xml version="1.1"?>', 'XML 1.1'], ['\n  ', 'leading whitespace'],
      ['<!DOCTYPE s:Envelope>', 'DOCTYPE'], ['<!DOCTYPE x [<!ENTITY a "alice">]>', 'internal entity'], ['<?xml version="1.0"?><?xml version="1.0"?>', 'two declarations'],
      ['<!-- -->', 'leading comment'], ['<x/>', 'second root'],
    ] as const);
    return { text: prefix + body, step: `prefix: ${name}` };
  }],
  [1, ({ rng }, text) => {
    const entity = rng.pick(['&a;', '&lt;', '&amp;', '&#x61;']);
    const r = region(text, 'Username');
    return r ? { text: text.slice(0, r[0]) + entity + text.slice(r[0]), step: `Username starts with ${entity}` } : { text, step: 'no Username' };
  }],
];

/** A fresh valid RST for one endpoint and trust, then 1–4 mutations of it. */
export function mutatedRst(rng: Rng, t: Target, url: string, now: Date): RstCase {
  const endpoint: EndpointName = rng.chance(0.3) ? '2005' : '13';
  const e = ENDPOINTS[endpoint];
  const valid = rst(e.template, {
    to: `${url}${e.path}`,
    username: t.alice.upn,
    password: t.alice.password,
    appliesTo: rng.chance(0.6) ? ENTRA : APP,
    created: now,
    expires: new Date(now.getTime() + 5 * 60_000),
    messageId: `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`,
  });
  const steps: string[] = [`${endpoint} endpoint`];
  // How hard this iteration hits: structure only, text only, or both; never nothing.
  const plan = rng.weighted([[35, [1, 0]], [15, [2, 0]], [25, [0, 1]], [10, [0, 2]], [15, [1, 2]]] as const);
  let text = valid;
  if (plan[0] > 0) {
    const doc = new DOMParser().parseFromString(valid, 'text/xml');
    const ctx: Ctx = { rng, doc, t, endpoint, url, now };
    for (let i = 0; i < plan[0]; i++) {
      const [, name, mutation] = rng.weighted(domMutations.map((m) => [m[0], m] as const));
      steps.push(`${name}: ${mutation(ctx)}`);
    }
    text = new XMLSerializer().serializeToString(doc);
  }
  for (let i = 0; i < plan[1]; i++) {
    const m = rng.weighted(textMutations)({ rng, t }, text);
    text = m.text;
    steps.push(m.step);
  }
  let body: Buffer = Buffer.from(text, 'utf8');
  if (rng.chance(0.03)) {
    const flipped = flipBit(rng, body);
    body = flipped.bytes;
    steps.push(flipped.step);
  }
  const contentType = rng.weighted([[97, 'application/soap+xml; charset=utf-8'], [1, 'text/xml; charset=utf-8'], [1, 'application/soap+xml; charset=utf-16'], [1, 'application/soap+xml']] as const);
  if (contentType !== 'application/soap+xml; charset=utf-8') steps.push(`Content-Type: ${contentType}`);
  return { endpoint, path: e.path, contentType, body, steps };
}
