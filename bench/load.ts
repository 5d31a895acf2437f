import { Pool } from 'undici';

/** What `c` concurrent loops of one request kind did in a fixed time. */
export interface LoadResult {
  concurrency: number;
  requests: number;
  failures: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** A few answers that passed `check`, kept for verification (xmlsec1). */
  samples: string[];
  firstFailure?: string;
}

export function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/**
 * `concurrency` loops, each sending `one()` again as soon as it is answered, for `ms`; latency in
 * ms per request. `one` resolves to the answer's body when it was a success, or throws / returns
 * an Error when not (a 500, a page without a token, a refused connection all count as failures).
 */
export async function load(concurrency: number, ms: number, one: () => Promise<string | Error>, sampleEvery = 0): Promise<LoadResult> {
  const latencies: number[] = [];
  const samples: string[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const answer = await one().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      latencies.push(performance.now() - t);
      if (answer instanceof Error) {
        failures++;
        firstFailure ??= answer.message.slice(0, 300);
      } else if (sampleEvery > 0 && latencies.length % sampleEvery === 0 && samples.length < 5) samples.push(answer);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency, requests: latencies.length, failures, perSecond: (latencies.length - failures) / seconds,
    p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1] ?? 0, samples,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/** A keep-alive connection pool of `connections` to `origin` (HTTPS, trusting `ca`). */
export function keepAlive(origin: string, ca: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, connect: { ca, rejectUnauthorized: true }, headersTimeout: 60_000, bodyTimeout: 60_000 });
}

/** One request on the pool: the body when the status is 200 and `ok(body)`, else an Error naming what came back. */
export async function fetchOk(pool: Pool, opts: { path: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }, ok: (body: string) => boolean): Promise<string | Error> {
  const res = await pool.request({ path: opts.path, method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.body !== undefined ? { body: opts.body } : {}) });
  const body = await res.body.text();
  if (res.statusCode !== 200 || !ok(body)) return new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
  return body;
}
