import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Request } from 'express';
import { BadRequest } from '../errors.js';

/** A SAML protocol message as it arrived, before anything in it is believed. */
export interface BoundMessage {
  kind: 'SAMLRequest' | 'SAMLResponse';
  binding: 'redirect' | 'post';
  xml: string;
  relayState?: string | undefined;
  /** HTTP-Redirect only: the detached signature (Bindings §3.4.4.1) over the exact query octets. */
  redirectSignature?: { sigAlg: string; signature: Buffer; signedOctets: string } | undefined;
}

/**
 * The largest SAML message accepted, decoded. An AuthnRequest or LogoutRequest is a few KB (a
 * signed one with a certificate under 8 KB); 256 KB is xml/parse.ts's cap for any network XML.
 */
export const MAX_SAML_MESSAGE_BYTES = 256 * 1024;
/** Bindings §3.4.4.1 / §3.5.3: RelayState MUST NOT exceed 80 bytes; Entra's are longer (ENTRA.md §2.1), so the bound is generous. */
const MAX_RELAY_STATE = 8192;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64(value: string, what: string): Buffer {
  const compact = value.replace(/[\r\n\t ]/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) throw new BadRequest('saml-encoding', `The ${what} is not valid base64.`);
  return Buffer.from(compact, 'base64');
}

/**
 * Bindings §3.4.4.1: the Redirect binding's DEFLATE (RFC 1951, raw). The output is bounded while
 * inflating, so a small compressed body cannot become a huge document (a zip bomb).
 */
function inflate(data: Buffer): Buffer {
  try {
    return inflateRawSync(data, { maxOutputLength: MAX_SAML_MESSAGE_BYTES });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || (err instanceof RangeError)) throw new BadRequest('saml-too-large', 'The SAML message is too large.');
    throw new BadRequest('saml-deflate', 'The SAML message is not a valid DEFLATE stream.');
  }
}

function utf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequest('saml-encoding', 'The SAML message is not UTF-8.');
  }
}

/** The raw (still percent-encoded) query parameters, in order: a Redirect signature covers them as sent. */
function rawQuery(req: Request): Map<string, string> {
  const q = req.originalUrl.indexOf('?');
  const out = new Map<string, string>();
  if (q < 0) return out;
  for (const pair of req.originalUrl.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (out.has(name)) throw new BadRequest('malformed-parameter', `The parameter ${name} is given more than once.`);
    out.set(name, eq < 0 ? '' : pair.slice(eq + 1));
  }
  return out;
}

function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new BadRequest('malformed-parameter', 'A parameter is not valid URL encoding.');
  }
}

/** True when the request carries a SAML message (the passive endpoint's dispatch, like AD FS's). */
export function carriesSamlMessage(req: Request): boolean {
  const body = (req.body ?? {}) as Record<string, unknown>;
  return ['SAMLRequest', 'SAMLResponse'].some((k) => req.query[k] !== undefined || body[k] !== undefined);
}

/**
 * Reads the message of either binding: HTTP-Redirect (GET, base64 of raw DEFLATE, optional
 * SigAlg + Signature over the query) or HTTP-POST (base64 form field, any signature inside the XML).
 */
export function readBoundMessage(req: Request): BoundMessage {
  if (req.method === 'GET') return readRedirect(req);
  const body = (req.body ?? {}) as Record<string, unknown>;
  const kind = typeof body.SAMLRequest === 'string' ? 'SAMLRequest' : typeof body.SAMLResponse === 'string' ? 'SAMLResponse' : undefined;
  if (!kind || (body.SAMLRequest !== undefined && body.SAMLResponse !== undefined)) throw new BadRequest('saml-message', 'The request carries no single SAML message.');
  const encoded = body[kind] as string;
  // Base64 is 4/3 of the bytes: refuse before decoding what could not fit.
  if (encoded.length > (MAX_SAML_MESSAGE_BYTES * 4) / 3 + 4) throw new BadRequest('saml-too-large', 'The SAML message is too large.');
  const relayState = body.RelayState;
  if (relayState !== undefined && (typeof relayState !== 'string' || relayState.length > MAX_RELAY_STATE)) throw new BadRequest('relay-state', 'The RelayState is not acceptable.');
  const bytes = base64(encoded, kind);
  // Bindings §3.5.4 sends POST messages uncompressed, but node-saml DEFLATEs its POST AuthnRequests
  // by default (skipRequestCompression): what is not XML text is inflated, under the same bound.
  const xml = bytes[0] === 0x3c || /^\s*</.test(bytes.subarray(0, 64).toString('latin1')) ? bytes : inflate(bytes);
  return { kind, binding: 'post', xml: utf8(xml), relayState };
}

function readRedirect(req: Request): BoundMessage {
  const raw = rawQuery(req);
  const kind = raw.has('SAMLRequest') ? 'SAMLRequest' : raw.has('SAMLResponse') ? 'SAMLResponse' : undefined;
  if (!kind || (raw.has('SAMLRequest') && raw.has('SAMLResponse'))) throw new BadRequest('saml-message', 'The request carries no single SAML message.');
  const encoded = decodeComponent(raw.get(kind) ?? '');
  if (encoded.length > MAX_SAML_MESSAGE_BYTES) throw new BadRequest('saml-too-large', 'The SAML message is too large.');
  const relayRaw = raw.get('RelayState');
  const relayState = relayRaw === undefined ? undefined : decodeComponent(relayRaw);
  if (relayState !== undefined && relayState.length > MAX_RELAY_STATE) throw new BadRequest('relay-state', 'The RelayState is not acceptable.');
  const xml = utf8(inflate(base64(encoded, kind)));
  const sigAlg = raw.get('SigAlg');
  const signature = raw.get('Signature');
  if ((sigAlg === undefined) !== (signature === undefined)) throw new BadRequest('saml-signature', 'The request has SigAlg or Signature without the other.');
  if (sigAlg === undefined || signature === undefined) return { kind, binding: 'redirect', xml, relayState };
  // Bindings §3.4.4.1: the octets signed are the parameters in this order, as they were encoded on the wire.
  const signedOctets = [`${kind}=${raw.get(kind)}`, ...(relayRaw !== undefined ? [`RelayState=${relayRaw}`] : []), `SigAlg=${sigAlg}`].join('&');
  return { kind, binding: 'redirect', xml, relayState, redirectSignature: { sigAlg: decodeComponent(sigAlg), signature: base64(decodeComponent(signature), 'Signature'), signedOctets } };
}

/** An outgoing message: an auto-posted form (HTTP-POST) or a URL to redirect to (HTTP-Redirect). */
export type OutgoingMessage = { binding: 'post'; action: string; fields: Record<string, string | undefined> } | { binding: 'redirect'; url: string };

/**
 * Bindings §3.4.4.1 for what we send: raw DEFLATE, base64, URL-encoded, then SigAlg and the
 * signature over exactly `SAMLRequest=…&RelayState=…&SigAlg=…` as they appear in the URL.
 */
export async function redirectUrl(
  location: string,
  kind: BoundMessage['kind'],
  xml: string,
  relayState: string | undefined,
  signer: { sigAlg: string; sign: (octets: string) => Promise<string> },
): Promise<string> {
  const parts = [`${kind}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`];
  if (relayState !== undefined) parts.push(`RelayState=${encodeURIComponent(relayState)}`);
  parts.push(`SigAlg=${encodeURIComponent(signer.sigAlg)}`);
  const octets = parts.join('&');
  const url = new URL(location);
  const query = `${octets}&Signature=${encodeURIComponent(await signer.sign(octets))}`;
  return `${url.origin}${url.pathname}?${url.search ? `${url.search.slice(1)}&` : ''}${query}`;
}
