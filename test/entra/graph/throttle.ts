import type { FaultKind } from '../faults.js';
import { graphError, type GraphResponse } from './types.js';

/** The Graph answer for an injected 429 / 503 (ENTRA.md §8.3: code "TooManyRequests", Retry-After in seconds). */
export function faultResponse(kind: Exclude<FaultKind, 'drop'>, retryAfterSeconds: number | undefined): GraphResponse {
  const res = kind === 'throttle'
    ? graphError(429, 'TooManyRequests', 'Please retry again later.')
    : graphError(503, 'serviceNotAvailable', 'Service unavailable. Please retry again later.');
  const retryAfter = retryAfterSeconds ?? (kind === 'throttle' ? 1 : undefined);
  if (retryAfter !== undefined) res.headers = { ...res.headers, 'Retry-After': String(retryAfter) };
  return res;
}
