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
 * WSS UsernameToken Profile 1.0 §4: a Nonce (with the token's Created, when sent) is accepted
 * once; the UsernameToken's Created obeys the same window as the Timestamp. Clients that send no
 * Nonce (both MSALs) are not affected.
 */
export async function checkNonce(msg: Pick<RstMessage, 'nonce' | 'tokenCreated' | 'username'>, now: Date, counters: CounterStore): Promise<void> {
  if (msg.tokenCreated) checkTimestamp({ created: msg.tokenCreated, expires: undefined }, now);
  if (msg.nonce === undefined) return;
  if (msg.nonce === '') throw new BadRequest('nonce');
  // Keyed by a hash: the store holds no user names, and the key length is fixed.
  const key = createHash('sha256').update(`${msg.username}\n${msg.nonce}\n${msg.tokenCreated?.toISOString() ?? ''}`).digest('base64url');
  const fresh = await counters.useOnce(`wstrust-nonce:${key}`, new Date(now.getTime() + MAX_MESSAGE_AGE_MS + 2 * CLOCK_SKEW_MS), now);
  if (!fresh) throw new BadRequest('replayed-nonce');
}
