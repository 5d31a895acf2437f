import { badRequest, graphError, type GraphRequest, type GraphResponse } from './types.js';

/** Graph's page size when `$top` is absent, and its ceiling for users and groups. */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 999;

export type Json = Record<string, unknown>;

/** `$select`: the listed properties (`id` always comes back), else the resource's default set. */
export function parseSelect(req: GraphRequest, typeName: string, all: readonly string[], defaults: readonly string[]): string[] | GraphResponse {
  const raw = req.query.get('$select');
  if (raw === null) return [...defaults];
  const wanted = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of wanted) {
    if (!all.includes(p)) return badRequest(`Could not find a property named '${p}' on type '${typeName}'.`);
  }
  return ['id', ...wanted.filter((p) => p !== 'id')];
}

export function project(obj: Json, props: readonly string[]): Json {
  const out: Json = {};
  for (const p of props) out[p] = obj[p] ?? null;
  return out;
}

/**
 * `$filter`: only `<property> eq '<value>'` on the properties listed (ENTRA.md §7.3 — onPremisesImmutableId
 * is filterable with eq). Anything else is refused as Graph refuses queries it does not support.
 */
export function parseFilter(req: GraphRequest, filterable: readonly string[]): ((o: Json) => boolean) | GraphResponse | undefined {
  const raw = req.query.get('$filter');
  if (raw === null) return undefined;
  const m = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(raw);
  if (!m) {
    return /^\s*\w+\s+\w+\s+/.test(raw)
      ? graphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.')
      : badRequest(`Invalid filter clause: ${raw}`);
  }
  const [, prop = '', quoted = ''] = m;
  if (!filterable.includes(prop)) return graphError(400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified for property '${prop}' of resource.`);
  const value = quoted.replace(/''/g, "'");
  // UPN and names compare case-insensitively in the directory; ImmutableID is case-sensitive (ENTRA.md §7.3).
  const exact = prop === 'onPremisesImmutableId' || prop === 'id';
  return (o) => {
    const v = o[prop];
    return typeof v === 'string' && (exact ? v === value : v.toLowerCase() === value.toLowerCase());
  };
}

/** `$top` (1–999) and `@odata.nextLink` with an opaque `$skiptoken` carrying the offset. */
export function page(req: GraphRequest, items: Json[], context: string): Json | GraphResponse {
  const topRaw = req.query.get('$top');
  const top = topRaw === null ? DEFAULT_PAGE : Number(topRaw);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) return badRequest(`Invalid page size specified: '${topRaw ?? ''}'. Must be between 1 and ${MAX_PAGE} inclusive.`);
  const offset = readSkipToken(req.query.get('$skiptoken'));
  if (offset === undefined) return badRequest('Specified skip token is invalid.');
  const body: Json = { '@odata.context': context, value: items.slice(offset, offset + top) };
  if (offset + top < items.length) {
    const next = new URLSearchParams(req.query);
    next.set('$skiptoken', makeSkipToken(offset + top));
    body['@odata.nextLink'] = `${req.graphBase}${req.path}?${next.toString()}`;
  }
  return body;
}

function makeSkipToken(offset: number): string {
  return Buffer.from(`X'${offset.toString(16).padStart(8, '0')}'`).toString('base64url');
}

function readSkipToken(token: string | null): number | undefined {
  if (token === null) return 0;
  const m = /^X'([0-9a-f]{8})'$/.exec(Buffer.from(token, 'base64url').toString('latin1'));
  return m?.[1] === undefined ? undefined : parseInt(m[1], 16);
}
