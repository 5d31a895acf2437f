import { randomUUID } from 'node:crypto';
import type { Tenant } from '../tenant.js';

/** One Graph call, from HTTP or from inside a `$batch` (ENTRA.md §8.3). */
export interface GraphRequest {
  method: string;
  /** Path below `/v1.0`, without the query, e.g. `/users/{id}`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: unknown;
  /** Application permissions in the caller's access token. */
  roles: string[];
  tenant: Tenant;
  /** `https://127.0.0.1:port/v1.0`, for `@odata.context` and next links. */
  graphBase: string;
}

export interface GraphResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Graph's error body `{"error":{"code","message","innerError":{date, request-id, client-request-id}}}` (ENTRA.md §8.3). */
export function graphError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): GraphResponse {
  const requestId = randomUUID();
  return {
    status,
    headers: { 'request-id': requestId },
    body: { error: { code, message, ...extra, innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId, 'client-request-id': requestId } } },
  };
}

export const notFound = (id: string) =>
  graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);

export const badRequest = (message: string, extra?: Record<string, unknown>) => graphError(400, 'Request_BadRequest', message, extra);

/** Graph's wording for a property it refuses (e.g. "Invalid value specified for property 'mailNickname' of resource 'User'."). */
export const invalidProperty = (property: string, resource: string) =>
  badRequest(`Invalid value specified for property '${property}' of resource '${resource}'.`);

/** Uniqueness conflicts come back as 400, not 409, with an ObjectConflict detail (Graph "Create user" behaviour). */
export const conflict = (property: string) => {
  const message = `Another object with the same value for property ${property} already exists.`;
  return badRequest(message, { details: [{ code: 'ObjectConflict', message, target: property }] });
};

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
