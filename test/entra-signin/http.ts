import { httpsRequest, type HttpsResult } from '../entra/https-client.js';
import type { EntraDouble } from '../entra/server.js';

/** A browser's two moves against the double: follow nothing, and POST a form. */
export const get = (d: EntraDouble, path: string): Promise<HttpsResult> => httpsRequest(`${d.url}${path}`, { ca: d.caCertPem });

export const postForm = (d: EntraDouble, path: string, fields: Record<string, string>): Promise<HttpsResult> =>
  httpsRequest(`${d.url}${path}`, {
    method: 'POST', ca: d.caCertPem, body: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });

/** The hidden fields of an auto-POST page. */
export function formFields(html: string): { action: string; fields: Record<string, string> } {
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const action = unescape(/<form method="post" action="([^"]*)"/.exec(html)?.[1] ?? '');
  const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [unescape(m[1] ?? ''), unescape(m[2] ?? '')]));
  return { action, fields };
}
