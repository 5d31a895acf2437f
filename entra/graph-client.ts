import { TransportError, type Http, type HttpResult } from './http.js';
import { DirectoryObjectRequests, Groups, Users } from './directory-objects.js';
import { Domains } from './domains.js';
import { GraphError } from './graph-error.js';
import { defaultRetryPolicy, delayFor, RETRYABLE_STATUS, sleep, type RetryPolicy } from './retry.js';

/** ENTRA.md §8.3: at most 20 requests per JSON batch. */
export const MAX_BATCH = 20;

export type GraphMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One Graph call as typed builders make it (entra/directory-objects.ts); `url` is relative to /v1.0, e.g. `/users/{id}`. */
export interface GraphRequest {
  method: GraphMethod;
  url: string;
  body?: unknown;
}

/** One write inside a `$batch`, under an id unique in the batch. */
export interface BatchItem extends GraphRequest {
  id: string;
}

/** The answer to one batch item; status 0 = the connection broke and it is unknown whether Graph executed it. */
export interface BatchOutcome {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface GraphClientOptions {
  /** e.g. https://graph.microsoft.com; calls go to `<graphUrl>/v1.0`. */
  graphUrl: string;
  http: Http;
  token: () => Promise<string>;
  maxConcurrentBatches: number;
  retry?: RetryPolicy;
}

/** What the client did, for progress lines and benchmarks. */
export interface GraphStats {
  requests: number;
  batchItems: number;
  retries: number;
}

/**
 * Creating a user or group is the one write that cannot be repeated blindly: if a connection broke
 * after Graph executed it, a retry would make a second object. Those come back as status 0 and
 * the caller reconciles by looking the object up (sync journal).
 */
const isCreate = (i: BatchItem) => i.method === 'POST' && /^\/(users|groups)$/.test(i.url);

/**
 * Thin typed Graph v1.0 client: retries 429/503 with Retry-After or backoff, pages, JSON batching
 * (ENTRA.md §8). Callers speak in Entra objects through `users`, `groups`, `domains` and the
 * `$batch` request builders in `requests`; paths, `$select` and OData bodies are built there.
 */
export class GraphClient {
  readonly stats: GraphStats = { requests: 0, batchItems: 0, retries: 0 };
  readonly users: Users;
  readonly groups: Groups;
  readonly domains: Domains;
  /** Builders of the user, group and deletedItems writes `batch` sends. */
  readonly requests: DirectoryObjectRequests;
  private readonly base: string;
  private readonly retry: RetryPolicy;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: GraphClientOptions) {
    this.base = `${options.graphUrl.replace(/\/+$/, '')}/v1.0`;
    this.retry = options.retry ?? defaultRetryPolicy;
    this.users = new Users(this);
    this.groups = new Groups(this);
    this.domains = new Domains(this);
    this.requests = new DirectoryObjectRequests(this.base);
  }

  /** One call with retries; returns any final answer (error statuses included) for the caller to judge. */
  async call(method: GraphMethod, path: string, body?: unknown): Promise<HttpResult> {
    const url = path.startsWith('https://') ? path : `${this.base}${path}`;
    for (let attempt = 0; ; attempt++) {
      let res: HttpResult;
      try {
        res = await this.send(method, url, body);
      } catch (err) {
        const blind = method === 'POST' && err instanceof TransportError && err.sent;
        if (blind || attempt + 1 >= this.retry.maxAttempts) throw err;
        await this.pause(attempt, undefined);
        continue;
      }
      if (!RETRYABLE_STATUS.has(res.status) || attempt + 1 >= this.retry.maxAttempts) return res;
      await this.pause(attempt, res.headers);
    }
  }

  async get<T>(path: string): Promise<T> {
    const res = await this.call('GET', path);
    if (res.status !== 200) throw GraphError.from(res);
    return res.body as T;
  }

  /** Every page of a collection, following @odata.nextLink. */
  async listAll<T>(path: string): Promise<T[]> {
    const all: T[] = [];
    for (let next: string | undefined = path; next;) {
      const page: { value: T[]; '@odata.nextLink'?: string } = await this.get(next);
      all.push(...page.value);
      next = page['@odata.nextLink'];
    }
    return all;
  }

  /**
   * Runs the items as JSON batches of 20, `maxConcurrentBatches` in flight. Items throttled on
   * their own (429/503 inside a 200 batch) are retried in a later batch after their Retry-After.
   */
  async batch(items: BatchItem[]): Promise<Map<string, BatchOutcome>> {
    const results = new Map<string, BatchOutcome>();
    const chunks: BatchItem[][] = [];
    for (let i = 0; i < items.length; i += MAX_BATCH) chunks.push(items.slice(i, i + MAX_BATCH));
    await Promise.all(chunks.map((chunk) => this.limited(() => this.runChunk(chunk, 0, results))));
    return results;
  }

  private async runChunk(chunk: BatchItem[], attempt: number, results: Map<string, BatchOutcome>): Promise<void> {
    const body = {
      requests: chunk.map((i) => ({
        id: i.id, method: i.method, url: i.url,
        ...(i.body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: i.body }),
      })),
    };
    let res: HttpResult;
    try {
      res = await this.send('POST', `${this.base}/$batch`, body);
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      const unsafe = err.sent ? chunk.filter(isCreate) : [];
      for (const i of unsafe) results.set(i.id, { id: i.id, status: 0, headers: {}, body: { error: { code: 'transport', message: err.message } } });
      const again = chunk.filter((i) => !unsafe.includes(i));
      if (again.length === 0) return;
      if (attempt + 1 >= this.retry.maxAttempts) throw err;
      await this.pause(attempt, undefined);
      return this.runChunk(again, attempt + 1, results);
    }
    if (RETRYABLE_STATUS.has(res.status) && attempt + 1 < this.retry.maxAttempts) {
      await this.pause(attempt, res.headers);
      return this.runChunk(chunk, attempt + 1, results);
    }
    if (res.status !== 200) {
      for (const i of chunk) results.set(i.id, { id: i.id, status: res.status, headers: res.headers, body: res.body });
      return;
    }
    this.stats.batchItems += chunk.length;
    const responses = (res.body as { responses?: BatchOutcome[] }).responses ?? [];
    const retry: BatchItem[] = [];
    let retryHeaders: Record<string, string> | undefined;
    for (const r of responses) {
      const item = chunk.find((i) => i.id === r.id);
      if (!item) continue;
      if (RETRYABLE_STATUS.has(r.status) && attempt + 1 < this.retry.maxAttempts) {
        retry.push(item);
        // Wait for the longest Retry-After among the throttled items (ENTRA.md §8.3: per item).
        if (!retryHeaders || delayFor(0, r.headers, this.retry) > delayFor(0, retryHeaders, this.retry)) retryHeaders = r.headers ?? {};
      } else {
        results.set(r.id, { id: r.id, status: r.status, headers: r.headers ?? {}, body: r.body });
      }
    }
    for (const i of chunk) if (!results.has(i.id) && !retry.includes(i)) retry.push(i);
    if (retry.length === 0) return;
    await this.pause(attempt, retryHeaders);
    return this.runChunk(retry, attempt + 1, results);
  }

  private async send(method: string, url: string, body: unknown): Promise<HttpResult> {
    const token = await this.options.token();
    this.stats.requests += 1;
    return this.options.http.send(method, url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  private async pause(attempt: number, headers: Record<string, string> | undefined): Promise<void> {
    this.stats.retries += 1;
    await sleep(delayFor(attempt, headers, this.retry));
  }

  /** Bounded concurrency: at most maxConcurrentBatches batch requests in flight. */
  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.options.maxConcurrentBatches) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight += 1;
    try {
      return await fn();
    } finally {
      this.inFlight -= 1;
      this.waiting.shift()?.();
    }
  }
}
