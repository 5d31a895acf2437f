import { passwords, replies, userNames, APP, ENTRA, type Target } from './inputs.js';
import { mutateText, type Region } from './mutate-text.js';
import type { Rng } from './prng.js';

/**
 * Mutations of a valid login POST: the form a fresh GET of the login page gave (its action, with
 * the WS-Fed message in the query, and its single-use CSRF token) filled in with alice's
 * credentials. Structure-aware ones change, duplicate, remove or move fields and query
 * parameters, bend the CSRF and SSO cookies, or post twice; character-level and percent-encoding
 * ones then work on the encoded text.
 */
export interface LoginForm {
  /** The form's action as the page gives it: `/adfs/ls/?wa=…`. */
  action: string;
  /** Its hidden fields (the CSRF token, AuthMethod). */
  fields: Record<string, string>;
}

export interface LoginCase {
  path: string;
  contentType: string;
  body: Buffer;
  /** The Cookie header to send (the browser's, perhaps bent). */
  cookie: string;
  steps: string[];
  /** Post the same request, byte for byte, a second time: the CSRF token is spent, so no token may come back. */
  replay: boolean;
}

const CSRF = 'csrf_token';
const FORM = 'application/x-www-form-urlencoded';

type Pairs = [string, string][];

interface Ctx {
  rng: Rng;
  t: Target;
  query: Pairs;
  body: Pairs;
  /** A valid token of another browser, which this browser's cookie does not match. */
  foreignCsrf: string;
  /** A live SSO session cookie of alice's (`__Host-gatehouse_sso=…`), to replay or tamper with. */
  ssoCookie: string;
  cookie: string;
  queryChanged: boolean;
  contentType: string;
  path: string;
  replay: boolean;
}

function set(pairs: Pairs, name: string, value: string): void {
  const i = pairs.findIndex(([k]) => k === name);
  if (i >= 0) pairs[i] = [name, value];
  else pairs.push([name, value]);
}

const show = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…(${v.length})` : v);

function csrfVariant(c: Ctx, token: string): string {
  const at = c.rng.int(token.length);
  const other = token[at] === 'A' ? 'B' : 'A';
  return c.rng.pick([
    token.slice(0, at) + other + token.slice(at + 1), token.slice(0, -1), '', ' ', c.foreignCsrf, `${token} `, `${token}.`, token.split('.').reverse().join('.'),
    token.replace(/^[^.]+/, (0).toString(36)), token.replace(/^[^.]+/, Date.now().toString(36)), token.toUpperCase(), `${token}${token}`,
  ]);
}

type FormMutation = (c: Ctx) => string;

const queryValue = (c: Ctx, name: string): string[] => {
  switch (name) {
    case 'wa': return ['wsignout1.0', 'wsignoutcleanup1.0', 'WSIGNIN1.0', 'wsignin1.0 ', '', 'wsignin1.1', 'wsignin1.0\0'];
    case 'wtrealm': return [ENTRA, APP, ENTRA.toUpperCase(), `${ENTRA}/`, `${APP}/`, 'urn:test:unknown', '', ` ${ENTRA}`, `${ENTRA}\0`, 'x'.repeat(9000)];
    case 'wreply': return replies();
    case 'wctx': return ['LoginOptions=3&estsredirect=2&estsrequest=rQQIARAA%3a%2f"<>x', '', '<script>alert(1)</script>', 'x'.repeat(8192), 'x'.repeat(8193), '\u00e9\0\ud800'];
    case 'wfresh': return ['0', '1', '-1', '99999999', 'x', ''];
    case 'wauth': return ['urn:oasis:names:tc:SAML:1.0:am:password', 'http://schemas.microsoft.com/claims/multipleauthn', 'urn:federation:authentication:windows', '', 'x'];
    case 'whr': return ['corp.example.com', 'https://evil.example/', ''];
    default: return [...userNames(c.t).slice(0, 8), '<b>x</b>', ''];
  }
};

const formMutations: readonly (readonly [number, string, FormMutation])[] = [
  [6, 'user name', (c) => { const v = c.rng.pick(userNames(c.t)); set(c.body, 'UserName', v); return `UserName := ${show(v)}`; }],
  [5, 'password', (c) => { const v = c.rng.pick(passwords(c.t)); set(c.body, 'Password', v); return `Password := ${show(v)}`; }],
  [2, 'upper-case user name', (c) => {
    const i = c.body.findIndex(([k]) => k === 'UserName');
    if (i >= 0) c.body[i] = ['UserName', c.body[i]![1].toUpperCase()];
    return 'UserName upper-cased';
  }],
  [3, 'duplicate field', (c) => {
    const [name, value] = c.rng.pick(c.body);
    const again = c.rng.chance(0.5) ? value : name === 'UserName' ? c.rng.pick(userNames(c.t)) : name === 'Password' ? c.rng.pick(passwords(c.t)) : `${value}x`;
    c.body.splice(c.rng.int(c.body.length + 1), 0, [name, again]);
    return `duplicate ${name} (${again === value ? 'same value' : show(again)})`;
  }],
  [3, 'remove field', (c) => {
    const i = c.rng.int(c.body.length);
    const [name] = c.body.splice(i, 1)[0]!;
    return `remove ${name}`;
  }],
  [4, 'CSRF token', (c) => {
    const i = c.body.findIndex(([k]) => k === CSRF);
    if (i < 0) return 'no CSRF field';
    const v = csrfVariant(c, c.body[i]![1]);
    c.body[i] = [CSRF, v];
    return `csrf_token := ${show(v)}`;
  }],
  [2, 'Kmsi', (c) => { const v = c.rng.pick(['true', 'TRUE', 'false', '1', 'on', 'true\0', '']); set(c.body, 'Kmsi', v); return `Kmsi := ${show(v)}`; }],
  [2, 'AuthMethod', (c) => {
    const v = c.rng.pick(['CertificateAuthentication', 'WindowsAuthentication', '', 'FormsAuthentication ', 'formsauthentication', 'x'.repeat(1000)]);
    set(c.body, 'AuthMethod', v);
    return `AuthMethod := ${show(v)}`;
  }],
  [7, 'query parameter', (c) => {
    const name = c.rng.weighted([[2, 'wa'], [3, 'wtrealm'], [6, 'wreply'], [2, 'wctx'], [1, 'wfresh'], [1, 'wauth'], [1, 'whr'], [1, 'username'], [1, 'login_hint']] as const);
    const v = c.rng.pick(queryValue(c, name));
    set(c.query, name, v);
    c.queryChanged = true;
    return `?${name} := ${show(v)}`;
  }],
  [2, 'remove query parameter', (c) => {
    if (c.query.length === 0) return 'no query';
    const [name] = c.query.splice(c.rng.int(c.query.length), 1)[0]!;
    c.queryChanged = true;
    return `remove ?${name}`;
  }],
  [2, 'duplicate query parameter', (c) => {
    if (c.query.length === 0) return 'no query';
    const [name, value] = c.rng.pick(c.query);
    const again = c.rng.chance(0.5) ? value : c.rng.pick(queryValue(c, name));
    c.query.push([name, again]);
    c.queryChanged = true;
    return `duplicate ?${name} (${show(again)})`;
  }],
  [3, 'move between query and body', (c) => {
    c.queryChanged = true;
    if (c.rng.chance(0.6)) {
      // The WS-Fed message is read from the query, else the body (AD FS takes both).
      const name = c.rng.pick(['wreply', 'wtrealm', 'wa', 'wctx', 'wauth']);
      const i = c.query.findIndex(([k]) => k === name);
      const value = i >= 0 ? c.query.splice(i, 1)[0]![1] : c.rng.pick(queryValue(c, name));
      c.body.push([name, c.rng.chance(0.5) ? value : c.rng.pick(queryValue(c, name))]);
      return `?${name} moved to the body`;
    }
    const i = c.rng.int(c.body.length);
    const [name, value] = c.body.splice(i, 1)[0]!;
    c.query.push([name, value]);
    return `${name} moved to the query`;
  }],
  [2, 'parser games', (c) => {
    // body-parser's qs (depth 0, prototypes allowed): brackets, prototype names, many parameters, size.
    const game = c.rng.pick(['brackets', 'index', 'proto', 'constructor', 'toString', 'hasOwnProperty', 'many', 'huge', 'empty name'] as const);
    const i = c.body.findIndex(([k]) => k === c.rng.pick(['UserName', 'Password', CSRF]));
    const [name, value] = i >= 0 ? c.body[i]! : ['UserName', c.t.alice.upn];
    switch (game) {
      case 'brackets': c.body.push([`${name}[]`, value]); break;
      case 'index': if (i >= 0) c.body[i] = [`${name}[0]`, value]; break;
      case 'proto': c.body.push([`__proto__[${name}]`, value], ['__proto__', value]); break;
      case 'constructor': c.body.push([`constructor[prototype][${name}]`, value]); break;
      case 'toString': c.body.push(['toString', value], ['valueOf', value]); break;
      case 'hasOwnProperty': c.body.push(['hasOwnProperty', value]); break;
      case 'many': for (let k = 0; k < c.rng.pick([20, 47, 60]); k++) c.body.push([`f${k}`, 'x']); break;
      case 'huge': c.body.push(['filler', 'x'.repeat(c.rng.pick([40_000, 70_000]))]); break;
      case 'empty name': c.body.push(['', value]); break;
    }
    return `qs: ${game} (${name})`;
  }],
  [1, 'content type', (c) => {
    c.contentType = c.rng.pick([`${FORM}; charset=UTF-8`, FORM.toUpperCase(), 'text/plain', 'multipart/form-data; boundary=x', `${FORM}; charset=utf-16`, 'application/json', '']);
    return `Content-Type: ${show(c.contentType)}`;
  }],
  [1, 'path', (c) => {
    c.path = c.rng.pick(['/adfs/ls', '/adfs/LS/', '/ADFS/ls/', '/adfs/ls//', '/adfs/ls/x', '/adfs/ls/%2e', '//adfs/ls/', '/adfs/./ls/', '/adfs/ls/..;/']);
    return `path := ${c.path}`;
  }],
  [2, 'replay', (c) => { c.replay = true; return 'post twice'; }],
  [3, 'cookies', (c) => {
    const game = c.rng.pick(['csrf cookie', 'csrf cookie', 'no csrf cookie', 'two csrf cookies', 'sso cookie', 'tampered sso cookie', 'tampered sso cookie', 'forged sso cookie', 'huge'] as const);
    const step = bendCookies(c, game);
    // With the SSO cookie games the credentials mostly go: then the cookie alone decides.
    const bare = game.includes('sso') && c.rng.chance(0.8);
    if (bare) c.body = c.body.filter(([k]) => k !== 'UserName' && k !== 'Password');
    return `${step}${bare ? ', no credentials' : ''}`;
  }],
];

/** The CSRF token is bound to the browser cookie, the SSO cookie is sealed: neither may be bent into a token. */
function bendCookies(c: Ctx, game: 'csrf cookie' | 'no csrf cookie' | 'two csrf cookies' | 'sso cookie' | 'tampered sso cookie' | 'forged sso cookie' | 'huge'): string {
  const h = c.cookie;
  const [ssoName, ssoValue] = c.ssoCookie.split(/=(.*)/s) as [string, string];
  switch (game) {
    case 'csrf cookie': {
      let step = 'no csrf cookie to mutate';
      c.cookie = h.replace(/(__Host-gatehouse_csrf=)([^;]*)/, (_m, k: string, v: string) => {
        const m = mutateText(c.rng, v);
        step = `csrf cookie ${m.step}`;
        return `${k}${m.text}`;
      });
      return step;
    }
    case 'no csrf cookie':
      c.cookie = h.replace(/__Host-gatehouse_csrf=[^;]*;?\s*/, '');
      return game;
    case 'two csrf cookies': {
      const other = `__Host-gatehouse_csrf=${mutateText(c.rng, 'x'.repeat(43)).text}`;
      c.cookie = c.rng.chance(0.5) ? `${other}; ${h}` : `${h}; ${other}`;
      return game;
    }
    case 'sso cookie':
      c.cookie = `${h}; ${c.ssoCookie}`;
      return 'alice\'s SSO cookie';
    case 'tampered sso cookie': {
      const tampered = mutateText(c.rng, ssoValue);
      c.cookie = `${h}; ${ssoName}=${tampered.text}`;
      return `SSO cookie ${tampered.step}`;
    }
    case 'forged sso cookie':
      c.cookie = `${h}; ${ssoName}=${c.rng.pick([Buffer.from('{"sid":"x","exp":9e15}').toString('base64url'), '', 'A'.repeat(40), '%ZZ', ssoValue.slice(0, 40)])}`;
      return game;
    case 'huge':
      c.cookie = `${h}; filler=${'x'.repeat(c.rng.pick([4000, 20_000]))}`;
      return 'huge cookie header';
  }
}

/** The span of `name`'s value in an encoded `a=1&b=2` string. */
function valueRegion(encoded: string, name: string): Region | undefined {
  const m = new RegExp(`(?:^|&)${name}=([^&]*)`).exec(encoded);
  if (!m) return undefined;
  const end = m.index + m[0].length;
  return [end - m[1]!.length, end];
}

function percentAll(s: string): string {
  return Array.from(Buffer.from(s, 'utf8')).map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

type TextMutation = (rng: Rng, text: string) => { text: string; step: string };

const percentGames: TextMutation = (rng, text) => {
  const name = rng.pick(['UserName', 'Password', CSRF, 'wreply', 'wtrealm', 'wa']);
  const r = valueRegion(text, name);
  const game = rng.pick(['encode all', 'encode name', 'double', 'plus', 'lower hex', 'overlong', 'separator', 'nul'] as const);
  const [a, b] = r ?? [0, 0];
  const value = text.slice(a, b);
  const decoded = (() => { try { return decodeURIComponent(value.replace(/\+/g, ' ')); } catch { return value; } })();
  const replaced = (v: string) => text.slice(0, a) + v + text.slice(b);
  switch (game) {
    case 'encode all': return r ? { text: replaced(percentAll(decoded)), step: `${name} value fully percent-encoded` } : { text, step: `no ${name}` };
    case 'encode name': return { text: text.replace(new RegExp(`(^|&)${name}=`), (_m, sep: string) => `${sep}${percentAll(name)}=`), step: `${name} name percent-encoded` };
    case 'double': return { text: replaced(value.replace(/%/g, '%25')), step: `${name} value double-encoded` };
    case 'plus': return { text: replaced(value.includes('+') ? value.replace(/\+/g, '%2B') : value.replace(/%20/g, '+').replace(/%40/g, '+')), step: `${name} value plus games` };
    case 'lower hex': return { text: replaced(value.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())), step: `${name} value lower-case hex` };
    case 'overlong': return { text: replaced(value.replace(/a|%40|!/, (m) => ({ a: '%C1%A1', '%40': '%C1%80', '!': '%C0%A1' })[m]!)), step: `${name} value overlong UTF-8` };
    case 'separator': return { text: text.replace('&', rng.pick([';', '&&', '&amp;', '%26', '&\n'])), step: 'separator games' };
    case 'nul': return { text: replaced(value.slice(0, value.length >> 1) + '%00' + value.slice(value.length >> 1)), step: `${name} value with %00` };
  }
};

const textMutations: readonly (readonly [number, 'body' | 'query', TextMutation])[] = [
  [8, 'body', (rng, text) => {
    const name = rng.pick(['UserName', 'UserName', 'Password', 'Password', CSRF, 'AuthMethod']);
    const r = valueRegion(text, name);
    const m = mutateText(rng, text, r);
    return { text: m.text, step: `body ${r ? name : 'anywhere'}: ${m.step}` };
  }],
  [3, 'body', (rng, text) => { const m = mutateText(rng, text); return { text: m.text, step: `body: ${m.step}` }; }],
  [4, 'body', (rng, text) => { const m = percentGames(rng, text); return { text: m.text, step: `body: ${m.step}` }; }],
  [4, 'query', (rng, text) => {
    const name = rng.pick(['wreply', 'wtrealm', 'wa', 'wctx']);
    const r = valueRegion(text, name);
    const m = mutateText(rng, text, r);
    return { text: m.text, step: `query ${r ? name : 'anywhere'}: ${m.step}` };
  }],
  [2, 'query', (rng, text) => { const m = percentGames(rng, text); return { text: m.text, step: `query: ${m.step}` }; }],
];

/** A valid post of `form` with alice's credentials, then 1–4 mutations of it. */
export function mutatedLogin(rng: Rng, t: Target, form: LoginForm, cookie: string, others: { foreignCsrf: string; ssoCookie: string }): LoginCase {
  const action = new URL(form.action, 'https://gatehouse.invalid');
  const body: Pairs = [...Object.entries(form.fields), ['UserName', t.alice.upn], ['Password', t.alice.password]];
  if (rng.chance(0.2)) body.push(['Kmsi', 'true']);
  const c: Ctx = { rng, t, query: [...action.searchParams], body, ...others, cookie, queryChanged: false, contentType: FORM, path: action.pathname, replay: false };
  const steps: string[] = [];
  const plan = rng.weighted([[35, [1, 0]], [15, [2, 0]], [25, [0, 1]], [10, [0, 2]], [15, [1, 2]]] as const);
  for (let i = 0; i < plan[0]; i++) {
    const [, name, mutation] = rng.weighted(formMutations.map((m) => [m[0], m] as const));
    steps.push(`${name}: ${mutation(c)}`);
  }
  let query = c.queryChanged ? new URLSearchParams(c.query).toString() : action.search.slice(1);
  let encoded = new URLSearchParams(c.body).toString();
  for (let i = 0; i < plan[1]; i++) {
    const [, where, mutation] = rng.weighted(textMutations.map((m) => [m[0], m] as const));
    const m = mutation(rng, where === 'body' ? encoded : query);
    if (where === 'body') encoded = m.text;
    else query = m.text;
    steps.push(m.step);
  }
  return { path: `${c.path}${query ? `?${query}` : ''}`, contentType: c.contentType, body: Buffer.from(encoded, 'utf8'), cookie: c.cookie, steps, replay: c.replay };
}
