import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';
import type { Config } from '../config/load.js';
import { MetadataRefused } from './sp-metadata.js';

// Metadata is UTF-8 (SAML 2.0 Metadata §2.1 via XML 1.0); bytes that are not are refused, never replaced.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type FetchSettings = Pick<Config['partnerMetadata'], 'timeoutMs' | 'maxBytes' | 'caFile'>;

/**
 * GETs a partner's metadata over HTTPS only (a document fetched in clear could be anyone's unless
 * signed), within `timeoutMs` for the whole exchange and `maxBytes` of body, read as it arrives and
 * cut off past the limit; no redirect is followed (undici's request does not). Any failure is a
 * MetadataRefused naming the URL.
 */
export async function fetchMetadata(url: string, settings: FetchSettings): Promise<string> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new MetadataRefused(`${url} is not a URL`);
  }
  if (target.protocol !== 'https:') throw new MetadataRefused(`${target.href}: metadata is fetched over https only`);
  const ca = settings.caFile ? await readFile(settings.caFile, 'utf8') : undefined;
  const dispatcher = new Agent({ connect: { timeout: settings.timeoutMs, ...(ca ? { ca } : {}) }, headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs });
  const signal = AbortSignal.timeout(settings.timeoutMs);
  try {
    const res = await request(target, { method: 'GET', dispatcher, signal, headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new MetadataRefused(`${target.href} answered HTTP ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length']);
    if (declared > settings.maxBytes) {
      await res.body.dump();
      throw new MetadataRefused(`${target.href}: ${declared} bytes exceeds partnerMetadata.maxBytes (${settings.maxBytes})`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).byteLength;
      if (size > settings.maxBytes) {
        res.body.destroy();
        throw new MetadataRefused(`${target.href}: more than partnerMetadata.maxBytes (${settings.maxBytes}) bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return utf8.decode(Buffer.concat(chunks));
  } catch (err) {
    if (err instanceof MetadataRefused) throw err;
    const cause = (err as { cause?: Error }).cause;
    throw new MetadataRefused(`${target.href}: ${cause?.message ?? (err as Error).message}`);
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}
