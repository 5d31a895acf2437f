/** Statuses Graph asks us to retry: throttling and transient unavailability (ENTRA.md §8.3, Graph throttling guidance). */
export const RETRYABLE_STATUS = new Set([429, 503, 504]);

export interface RetryPolicy {
  maxAttempts: number;
  /** First backoff when Graph sends no Retry-After (ms); doubled each attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 8, baseDelayMs: 500, maxDelayMs: 60_000 };

/** Retry-After in seconds (Graph's form) or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Record<string, string> | undefined, now = Date.now()): number | undefined {
  const value = headers && Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Honour Retry-After when given, else exponential backoff with jitter (so parallel batches do not retry in step). */
export function delayFor(attempt: number, headers: Record<string, string> | undefined, policy: RetryPolicy): number {
  const told = retryAfterMs(headers);
  if (told !== undefined) return Math.min(told, policy.maxDelayMs);
  const backoff = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  return backoff / 2 + Math.random() * (backoff / 2);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
