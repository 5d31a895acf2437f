import { Agent, fetch, type Response } from 'undici';

/**
 * A scripted browser for protocol tests: a cookie jar, manual redirects, form posts, TLS trust of
 * the given CAs. Chromium tests cover the real browser; this one lets tests look at each hop.
 */
export class WebClient {
  readonly jar = new Map<string, Map<string, string>>();
  /** Every Set-Cookie header received, attributes included, for tests of cookie flags. */
  readonly setCookies: string[] = [];
  private readonly agent: Agent;

  constructor(
    caPems: string[],
    /** Sent with every request (e.g. a forged X-Forwarded-For). */
    private readonly headers: Record<string, string> = {},
    /** A client certificate and key (PEM) offered to any server that asks for one. */
    clientCertificate?: { certPem: string; keyPem: string },
  ) {
    this.agent = new Agent({ connect: { ca: caPems, ...(clientCertificate ? { cert: clientCertificate.certPem, key: clientCertificate.keyPem } : {}) } });
  }

  async get(url: string): Promise<Response> {
    return this.send(url, { method: 'GET' });
  }

  async post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.send(url, { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  private async send(url: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Response> {
    const u = new URL(url);
    const cookies = [...(this.jar.get(u.host) ?? new Map())].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', dispatcher: this.agent, headers: { ...this.headers, ...init.headers, ...(cookies ? { cookie: cookies } : {}) } });
    for (const c of res.headers.getSetCookie()) {
      this.setCookies.push(c);
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const jar = this.jar.get(u.host) ?? new Map<string, string>();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
      this.jar.set(u.host, jar);
    }
    return res;
  }
}

/** The hidden inputs and action of the first form in a page, HTML entities decoded. */
export function readForm(html: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]*)"[^>]*value="([^"]*)"/g)) fields[decode(m[1]!)] = decode(m[2]!);
  return { action: decode(form[1]!), fields };
}

export function decode(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

/** Where a browser lands when Entra sends it to sign in (ENTRA.md §2.1), relative to Gatehouse's URL. */
export const ENTRA_SIGNIN = '/adfs/ls/?wa=wsignin1.0&wtrealm=urn:federation:MicrosoftOnline';

/** A browser's password sign-in: GET the login page at `start`, POST its form with these credentials. */
export async function postLogin(client: WebClient, baseUrl: string, username: string, password: string, start = ENTRA_SIGNIN): Promise<Response> {
  const page = await client.get(new URL(start, baseUrl).href);
  const { action, fields } = readForm(await page.text());
  return client.post(new URL(action, baseUrl).href, { ...fields, UserName: username, Password: password });
}
