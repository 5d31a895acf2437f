import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { readForm } from '../support/web-client.js';
import { aliceSpellings, ENTRA, TRUSTS, type Target } from './inputs.js';
import { NS } from './mutate-rst.js';
import type { Answer } from './wire.js';

/**
 * Judges one answer to one mutated input, reading both independently of the server: the RST with
 * @xmldom/xmldom, the form with URLSearchParams. A token is only right for alice's own password and
 * one of her spellings, with her claims, for a configured trust, sent to one of its reply URLs.
 * `outcome` is what the run's tally counts; `problem` fails the test.
 */
export interface Verdict {
  outcome: string;
  problem?: string;
}

export interface Expected {
  t: Target;
  /** alice's ImmutableID (base64 objectGUID, read from Samba), Entra's NameIdentifier. */
  immutableId: string;
  /** A live SSO session cookie of alice's: sent unchanged, it rightly signs her in without a password. */
  ssoCookie: { name: string; value: string };
}

const SAML = 'urn:oasis:names:tc:SAML:1.0:assertion';
const CLAIMS = 'http://schemas.xmlsoap.org/claims';

/** A lenient parse (xmldom's recovery on): null only when nothing could be read at all. */
function parse(text: string): Document | null {
  try {
    return new DOMParser({ onError: () => undefined }).parseFromString(text, 'text/xml');
  } catch {
    return null;
  }
}

function children(el: Element | null | undefined, ns: string, name: string): Element[] {
  return el ? Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name) : [];
}

/** The one `{ns}name` child, or undefined when there is none or several (then no reader may pick one). */
function only(el: Element | null | undefined, ns: string, name: string): Element | undefined {
  const found = children(el, ns, name);
  return found.length === 1 ? found[0] : undefined;
}

/** What a token may be issued for: the credentials as read from the mutated input. */
function credentialProblem(e: Expected, usernames: (string | undefined)[], passwords: (string | undefined)[]): string | undefined {
  const spellings = aliceSpellings(e.t).map((s) => s.toLowerCase());
  if (usernames.length === 0 || usernames.some((u) => u === undefined || !spellings.includes(u.trim().toLowerCase()))) {
    return `a token for user name(s) ${JSON.stringify(usernames)}, not one of alice's spellings`;
  }
  if (passwords.length === 0 || passwords.some((p) => p !== e.t.alice.password)) return `a token for password(s) ${JSON.stringify(passwords)}, not alice's`;
  return undefined;
}

/** The SAML 1.1 assertion's audience and subject, checked to be alice's for a configured trust. */
function tokenProblem(e: Expected, doc: Document, appliesTo: string | undefined): string | undefined {
  const assertions = doc.getElementsByTagNameNS(SAML, 'Assertion');
  if (assertions.length !== 1) return `${assertions.length} SAML assertions in the answer`;
  const audience = Array.from(doc.getElementsByTagNameNS(SAML, 'Audience')).map((a) => a.textContent ?? '');
  if (appliesTo === undefined || !(appliesTo in TRUSTS)) return `AppliesTo ${JSON.stringify(appliesTo)} is not a configured trust identifier`;
  if (audience.length !== 1 || audience[0] !== appliesTo) return `audience ${JSON.stringify(audience)} is not the AppliesTo ${appliesTo}`;
  const upns = Array.from(doc.getElementsByTagNameNS(SAML, 'Attribute'))
    .filter((a) => a.getAttribute('AttributeName') === 'UPN' && a.getAttribute('AttributeNamespace') === CLAIMS)
    .flatMap((a) => Array.from(a.getElementsByTagNameNS(SAML, 'AttributeValue')).map((v) => v.textContent ?? ''));
  if (upns.length !== 1 || upns[0] !== e.t.alice.upn) return `UPN claim ${JSON.stringify(upns)} is not alice's`;
  const nameIds = Array.from(doc.getElementsByTagNameNS(SAML, 'NameIdentifier')).map((n) => n.textContent ?? '');
  const nameId = appliesTo === ENTRA ? e.immutableId : e.t.alice.upn;
  if (nameIds.length === 0 || nameIds.some((n) => n !== nameId)) return `NameIdentifier ${JSON.stringify(nameIds)} is not alice's ${nameId}`;
  return undefined;
}

/** Username and Password at Envelope/Header/Security/UsernameToken, where WSS puts them. */
function rstCredentials(body: Buffer): { usernames: (string | undefined)[]; passwords: (string | undefined)[] } {
  const doc = parse(new TextDecoder('utf-8').decode(body));
  const envelope = doc?.documentElement;
  const token = envelope?.namespaceURI === NS.soap12 && envelope.localName === 'Envelope'
    ? only(only(only(envelope, NS.soap12, 'Header'), NS.wsse, 'Security'), NS.wsse, 'UsernameToken')
    : undefined;
  const read = (name: string) => {
    const found = children(token, NS.wsse, name);
    return found.length ? found.map((el) => el.textContent ?? '') : [undefined];
  };
  return { usernames: read('Username'), passwords: read('Password') };
}

/** A SOAP 1.2 fault with Code/Value, Subcode/Value and Reason/Text (what every WS-Trust failure must be). */
function faultCode(text: string): string | undefined {
  const fault = only(only(parse(text)?.documentElement, NS.soap12, 'Body'), NS.soap12, 'Fault');
  const code = only(fault, NS.soap12, 'Code');
  const value = only(code, NS.soap12, 'Value')?.textContent;
  const subcode = only(only(code, NS.soap12, 'Subcode'), NS.soap12, 'Value')?.textContent;
  const reason = only(only(fault, NS.soap12, 'Reason'), NS.soap12, 'Text')?.textContent;
  return value && subcode && reason ? subcode.replace(/^[^:]*:/, '') : undefined;
}

export function judgeRst(e: Expected, body: Buffer, a: Answer): Verdict {
  if (a.status === 200) {
    const doc = parse(a.body);
    const rstr = doc ? Array.from(doc.getElementsByTagNameNS('*', 'RequestSecurityTokenResponse')) : [];
    if (!doc || rstr.length !== 1) return { outcome: 'token?', problem: `200 that is not one RSTR: ${a.body.slice(0, 300)}` };
    const address = Array.from(rstr[0]!.getElementsByTagNameNS('*', 'AppliesTo')).flatMap((ap) => Array.from(ap.getElementsByTagNameNS(NS.wsa, 'Address')));
    const creds = rstCredentials(body);
    const problem = credentialProblem(e, creds.usernames, creds.passwords) ?? tokenProblem(e, doc, address.length === 1 ? (address[0]!.textContent ?? '') : undefined);
    return { outcome: 'token', ...(problem ? { problem } : {}) };
  }
  if (a.status === 500) {
    const code = /^application\/soap\+xml/.test(a.contentType) ? faultCode(a.body) : undefined;
    return code ? { outcome: `fault ${code}` } : { outcome: '5xx', problem: `HTTP 500 that is not a SOAP fault (${a.contentType}): ${a.body.slice(0, 300)}` };
  }
  if (a.status >= 500) return { outcome: '5xx', problem: `HTTP ${a.status}: ${a.body.slice(0, 300)}` };
  return { outcome: a.status >= 400 ? `4xx ${a.status}` : `other ${a.status}` };
}

/** The form fields as a reader of `application/x-www-form-urlencoded` sees them. */
function formValues(body: Buffer, name: string): string[] {
  return new URLSearchParams(new TextDecoder('utf-8').decode(body)).getAll(name);
}

/** Every value of cookie `name` in a Cookie header, percent-decoded where that is possible. */
function cookieValues(header: string, name: string): string[] {
  return header.split(';').map((p) => p.trim()).filter((p) => p.slice(0, p.indexOf('=')).trim() === name).map((p) => {
    const v = p.slice(p.indexOf('=') + 1).trim();
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  });
}

/** What a browser sent, and what the login page had given it. */
export interface LoginPost {
  body: Buffer;
  cookie: string;
  /** The page's CSRF token and the browser cookie it is bound to. */
  csrfToken: string;
  csrfCookie: string;
}

/**
 * A token may come back for alice's credentials with this browser's own CSRF token and cookie, or
 * for her live SSO cookie sent unchanged (the same sealed bytes); for nothing else.
 */
function liveSession(e: Expected, post: LoginPost): boolean {
  return cookieValues(post.cookie, e.ssoCookie.name).some((v) => Buffer.from(v, 'base64url').equals(Buffer.from(e.ssoCookie.value, 'base64url')));
}

function loginProblem(e: Expected, post: LoginPost, replayed: boolean): string | undefined {
  if (liveSession(e, post)) return undefined;
  if (replayed) return 'a token for a replayed post (its CSRF token was already spent)';
  const csrf = formValues(post.body, 'csrf_token');
  const browser = cookieValues(post.cookie, '__Host-gatehouse_csrf');
  return credentialProblem(e, formValues(post.body, 'UserName'), formValues(post.body, 'Password'))
    ?? (csrf.length === 0 || csrf.some((v) => v !== post.csrfToken) ? `a token for CSRF value(s) ${JSON.stringify(csrf)}, not the one this browser was given` : undefined)
    // Which of two same-named cookies a server reads is its own affair; the token must match one the browser was given.
    ?? (browser.includes(post.csrfCookie) ? undefined : `a token for CSRF cookie(s) ${JSON.stringify(browser)}, not this browser's ${post.csrfCookie}`);
}

export function judgeLogin(e: Expected, post: LoginPost, a: Answer, replayed = false): Verdict {
  if (a.status >= 500) return { outcome: '5xx', problem: `HTTP ${a.status}: ${a.body.slice(0, 300)}` };
  if (a.status >= 400) return { outcome: `4xx ${a.status}` };
  if (a.status !== 200) return { outcome: `other ${a.status}` };
  if (!/name="wresult"/.test(a.body)) return { outcome: /name="Password"/.test(a.body) ? 'page login' : 'page other' };

  const form = readForm(a.body);
  const doc = parse(form.fields.wresult ?? '');
  if (!doc) return { outcome: 'token', problem: 'an unreadable wresult' };
  const audience = Array.from(doc.getElementsByTagNameNS(SAML, 'Audience')).map((x) => x.textContent ?? '');
  const problem = loginProblem(e, post, replayed)
    ?? tokenProblem(e, doc, audience[0])
    ?? (TRUSTS[audience[0]!]?.includes(form.action) ? undefined : `the token was posted to ${JSON.stringify(form.action)}, not a reply URL of ${audience[0]}`);
  return { outcome: 'token', ...(problem ? { problem } : {}) };
}
