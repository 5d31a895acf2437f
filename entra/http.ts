import { Agent, fetch, type Dispatcher } from 'undici';

/** An answer from Graph or the token authority, body already parsed when it was JSON. */
export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The connection failed or timed out before an answer came back (no HTTP status). */
export class TransportError extends Error {
  constructor(message: string, readonly sent: boolean) {
    super(message);
  }
}

export interface HttpOptions {
  timeoutMs: number;
  /** PEM CA bundle to trust instead of the system CAs (tests; TLS-inspecting proxies). */
  caPem?: string | undefined;
  /** Told of every call with its duration and HTTP status (0: no answer), for the /metrics histogram of Graph calls. */
  timer?: HttpTimer | undefined;
}

export type HttpTimer = (call: { method: string; host: string; status: number; seconds: number }) => void;

/** One HTTPS caller with a time limit on every call (STYLE.md: every outbound call has a timeout). */
export class Http {
  private readonly dispatcher: Dispatcher | undefined;

  constructor(private readonly options: HttpOptions) {
    this.dispatcher = options.caPem ? new Agent({ connect: { ca: options.caPem } }) : undefined;
  }

  async send(method: string, url: string, init: { headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<HttpResult> {
    const timer = this.options.timer;
    if (!timer) return this.call(method, url, init);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const host = new URL(url).host;
    try {
      const result = await this.call(method, url, init);
      timer({ method, host, status: result.status, seconds: seconds() });
      return result;
    } catch (err) {
      timer({ method, host, status: 0, seconds: seconds() });
      throw err;
    }
  }

  private async call(method: string, url: string, init: { headers?: Record<string, string>; body?: string; timeoutMs?: number }): Promise<HttpResult> {
    let res;
    try {
      res = await fetch(url, {
        method,
        headers: init.headers,
        body: init.body,
        signal: AbortSignal.timeout(init.timeoutMs ?? this.options.timeoutMs),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      // A connect-phase failure means nothing reached the server; anything later may have been executed.
      const notSent = cause?.code === 'ECONNREFUSED' || cause?.code === 'UND_ERR_CONNECT_TIMEOUT' || cause?.code === 'ENOTFOUND';
      throw new TransportError(`${method} ${url}: ${cause?.message ?? (err as Error).message}`, !notSent);
    }
    const text = await res.text().catch(() => '');
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    let body: unknown = text;
    if (text && (headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    return { status: res.status, headers, body };
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
  }
}
