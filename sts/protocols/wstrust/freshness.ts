import { createHash } from 'node:crypto';
import type { CounterStore } from '../../../store/types.js';
import { BadRequest } from '../errors.js';
import type { RstMessage } from './envelope.js';

/** Clock difference tolerated between client and server (WCF's MaxClockSkew default, which AD FS keeps). */
export const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * How long after its Created a message is taken, whatever Expires says: both MSALs write
 * Expires = Created + 10 min (ENTRA.md §6.2); a longer claim would only widen a replay window.
 */
export const MAX_MESSAGE_AGE_MS = 10 * 60_000;

/**
 * WSS 1.0 §10: refuse a Timestamp created in the future or already expired, beyond the skew. A
 * message older than MAX_MESSAGE_AGE_MS is refused too, so the replay cache below only needs to
 * remember a nonce that long.
 */
export function checkTimestamp(msg: Pick<RstMessage, 'created' | 'expires'>, now: Date): void {
  const t = now.getTime();
  const created = msg.created.getTime();
  if (created > t + CLOCK_SKEW_MS) throw new BadRequest('timestamp-in-future');
  if (t - created > MAX_MESSAGE_AGE_MS + CLOCK_SKEW_MS) throw new BadRequest('timestamp-too-old');
  if (msg.expires) {
    if (msg.expires.getTime() <= created) throw new BadRequest('timestamp-format');
    if (msg.expires.getTime() < t - CLOCK_SKEW_MS) throw new BadRequest('timestamp-expired');
  }
}

/**
 * WSS UsernameToken Profile 1.0 §4: a Nonce is accepted once; the UsernameToken's Created obeys
 * the same window as the Timestamp. Clients that send no Nonce (both MSALs) are not affected.
 */
export async function checkNonce(msg: Pick<RstMessage, 'nonce' | 'tokenCreated'>, now: Date, counters: CounterStore): Promise<void> {
  if (msg.tokenCreated) checkTimestamp({ created: msg.tokenCreated, expires: undefined }, now);
  if (msg.nonce === undefined) return;
  // Keyed by the nonce alone: the user name's spelling and Created are the sender's to vary, so
  // neither may make a replay look new. Hashed: the key length is fixed.
  const key = createHash('sha256').update(nonceOctets(msg.nonce)).digest('base64url');
  // Remembered while a message carrying it can pass checkTimestamp, whether or not Created was
  // sent: a Timestamp created the skew ahead of our clock passes until MAX_MESSAGE_AGE_MS + 2 × skew from now.
  const fresh = await counters.useOnce(`wstrust-nonce:${key}`, new Date(now.getTime() + MAX_MESSAGE_AGE_MS + 2 * CLOCK_SKEW_MS), now);
  if (!fresh) throw new BadRequest('replayed-nonce');
}

// xs:base64Binary (XML Schema Part 2 §3.2.16) once XML white space is taken out.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The Nonce is base64Binary (WSS UsernameToken Profile 1.0 §4: EncodingType defaults to Base64),
 * so its value is the octets: white space or unused padding bits make no new nonce.
 */
function nonceOctets(nonce: string): Buffer {
  const compact = nonce.replace(/[\t\n\r ]/g, '');
  if (compact === '' || !BASE64.test(compact)) throw new BadRequest('nonce');
  return Buffer.from(compact, 'base64');
}
