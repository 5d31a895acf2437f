import type { Faults } from '../faults.js';
import { dispatch } from './routes.js';
import { faultResponse } from './throttle.js';
import { badRequest, graphError, isObject, type GraphRequest, type GraphResponse } from './types.js';

/** ENTRA.md §8.3: at most 20 requests per batch. */
const MAX_REQUESTS = 20;

interface Item { id: string; method: string; url: string; headers: Record<string, string>; body: unknown; dependsOn: string[] }

/**
 * JSON batching (ENTRA.md §8.3): a malformed batch (more than 20 items, duplicate ids, a body without
 * Content-Type, unknown or circular dependsOn) is refused whole with 400; otherwise the outer status is
 * 200 and each item has its own status — 424 when an item it depends on failed, 429 when throttled alone.
 * Responses come back in reverse order, because Graph promises no order and clients must match by id.
 * Exact Graph messages for the malformed cases *(unconfirmed)*.
 */
export function batch(req: GraphRequest, faults: Faults): GraphResponse {
  const parsed = parse(req.body);
  if (!Array.isArray(parsed)) return parsed;
  const results = new Map<string, GraphResponse>();
  const pending = [...parsed];
  while (pending.length > 0) {
    const ready = pending.findIndex((i) => i.dependsOn.every((d) => results.has(d)));
    if (ready < 0) return badRequest('Batch request contains circular dependsOn references.');
    const [item] = pending.splice(ready, 1) as [Item];
    results.set(item.id, run(item, req, faults, results));
  }
  const responses = parsed.map((i) => ({ id: i.id, ...(results.get(i.id) as GraphResponse) })).reverse()
    .map(({ id, status, headers, body }) => ({ id, status, headers: { 'Content-Type': 'application/json', ...headers }, ...(body === undefined ? {} : { body }) }));
  return { status: 200, body: { responses } };
}

function run(item: Item, outer: GraphRequest, faults: Faults, done: Map<string, GraphResponse>): GraphResponse {
  if (item.dependsOn.some((d) => (done.get(d)?.status ?? 500) >= 400)) {
    return graphError(424, 'FailedDependency', 'The request was not executed because a request it depends on failed.');
  }
  const url = new URL(item.url.startsWith('/') ? item.url : `/${item.url}`, 'https://graph.invalid');
  const fault = faults.take(item.method, `/v1.0${url.pathname}`, 'batch-item');
  if (fault && fault.kind !== 'drop') return faultResponse(fault.kind, fault.retryAfterSeconds);
  return dispatch({ ...outer, method: item.method, path: url.pathname, query: url.searchParams, headers: item.headers, body: item.body });
}

function parse(body: unknown): Item[] | GraphResponse {
  if (!isObject(body) || !Array.isArray(body.requests)) return badRequest('Invalid batch payload format.');
  if (body.requests.length > MAX_REQUESTS) return badRequest(`Number of batch requests exceeds the maximum of ${MAX_REQUESTS}.`);
  const items: Item[] = [];
  for (const r of body.requests as unknown[]) {
    if (!isObject(r) || typeof r.id !== 'string' || typeof r.method !== 'string' || typeof r.url !== 'string') {
      return badRequest('Each batch request must have string id, method and url.');
    }
    if (/^[a-z]+:/i.test(r.url) || r.url.replace(/^\//, '').startsWith('$batch')) return badRequest(`Invalid request URL '${r.url}': a relative URL is required.`);
    const headers = Object.fromEntries(Object.entries(isObject(r.headers) ? r.headers : {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    if (r.body !== undefined && !headers['content-type']) return badRequest(`Request '${r.id}': a Content-Type header is required when a body is present.`);
    if (items.some((i) => i.id === r.id)) return badRequest(`Batch request ids must be unique; '${r.id}' is repeated.`);
    const dependsOn = Array.isArray(r.dependsOn) ? r.dependsOn.map(String) : [];
    items.push({ id: r.id, method: r.method.toUpperCase(), url: r.url, headers, body: r.body, dependsOn });
  }
  const ids = new Set(items.map((i) => i.id));
  const unknown = items.flatMap((i) => i.dependsOn).find((d) => !ids.has(d));
  if (unknown !== undefined) return badRequest(`dependsOn references unknown request id '${unknown}'.`);
  return items;
}
