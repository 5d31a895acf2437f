import { Agent } from 'undici';

/**
 * The fuzzer's HTTP client: one undici Agent with a few keep-alive connections (a TLS handshake
 * per request would cost more than the request), raw bodies and request targets, a cookie jar
 * per simulated browser.
 */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
  setCookies: string[];
}

/** undici refuses a request target with bytes outside 0x21–0xff; a browser would percent-encode them too. */
export function requestTarget(path: string): string {
  return Array.from(path, (ch) => (/^[\x21-\x7e]$/.test(ch) ? ch : encodeURIComponent(ch === '\ud800' || ch === '\udc00' ? '\ufffd' : ch))).join('');
}

/**
 * A header value undici will send: tab, printable ASCII, and everything else percent-encoded.
 * (undici rejects the rest itself, but a rejected request could leave a pooled connection
 * unusable, and four of them stalled a whole run.)
 */
export function headerValue(value: string): string {
  return value.replace(/[^\t\x20-\x7e]/gu, (ch) => encodeURIComponent(/[\ud800-\udfff]/.test(ch) ? '\ufffd' : ch));
}

export class Wire {
  private readonly agent: Agent;

  constructor(
    private readonly origin: string,
    ca: string,
    connections: number,
  ) {
    this.agent = new Agent({ connect: { ca }, connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
  }

  async send(method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
    const unsafe = Object.entries(headers).find(([, v]) => headerValue(v) !== v);
    if (unsafe) throw new Error(`header ${unsafe[0]} would not be sent as given: ${JSON.stringify(unsafe[1].slice(0, 100))}`);
    // A client-side stall must fail the iteration, not hang the run.
    const signal = AbortSignal.timeout(30_000);
    const res = await this.agent.request({ origin: this.origin, path: requestTarget(path), method, headers, signal, ...(body ? { body } : {}) });
    const text = await res.body.text();
    const h = (name: string) => res.headers[name];
    const cookies = h('set-cookie');
    return {
      status: res.statusCode,
      contentType: String(h('content-type') ?? ''),
      body: text,
      setCookies: cookies === undefined ? [] : Array.isArray(cookies) ? cookies : [cookies],
    };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** One browser's cookies for the one host it talks to. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(setCookies: string[]): void {
    for (const c of setCookies) {
      const [pair = '', ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  headers(): Record<string, string> {
    return this.cookies.size ? { cookie: this.header() } : {};
  }
}
