import { Agent, fetch } from 'undici';
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

/** Trusting the double's CA takes an undici Agent as fetch's dispatcher (one per CA, reused). */
const agents = new Map<string, Agent>();
function agentFor(ca: string): Agent {
  let agent = agents.get(ca);
  if (!agent) agents.set(ca, (agent = new Agent({ connect: { ca } })));
  return agent;
}

/** One call with plain fetch, as any Graph client makes it, trusting the given CA. */
export async function httpsRequest(url: string, opts: HttpsOptions): Promise<HttpsResult> {
  const res = await fetch(url, {
    method: opts.method ?? 'GET',
    headers: opts.headers,
    body: opts.body,
    redirect: 'manual',
    dispatcher: agentFor(opts.ca),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers), text, json: <T>() => JSON.parse(text) as T };
}

/**
 * msal-node 7 sends through global fetch with system CAs only; its `system.networkClient` option
 * takes any INetworkModule, so this one trusts the double's CA.
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
