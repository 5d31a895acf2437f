import { request } from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

export interface HttpsResult {
  status: number;
  headers: Record<string, string>;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpsOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM of the CA to trust (the double's). */
  ca: string;
  timeoutMs?: number;
}

/**
 * One HTTPS call trusting a given CA. Node 20's global fetch can only take a custom CA through an undici
 * Agent (`dispatcher`), and the `undici` package is not installed here, so tests use node:https instead.
 */
export function httpsRequest(url: string, opts: HttpsOptions): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']));
        resolve({ status: res.statusCode ?? 0, headers, text, json: <T>() => JSON.parse(text) as T });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 10_000} ms: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * msal-node 7 sends through global fetch, which cannot be given a CA without undici; its
 * `system.networkClient` option takes any INetworkModule, so this one trusts the double's CA.
 */
export function msalNetworkClient(ca: string): INetworkModule {
  const send = async <T>(method: string, url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> => {
    const res = await httpsRequest(url, { method, headers: options?.headers, body: options?.body, ca, timeoutMs: timeout });
    return { status: res.status, headers: res.headers, body: res.json<T>() };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}
