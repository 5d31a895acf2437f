import { isIPv4, isIPv6, SocketAddress } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Audit } from '../../health/audit.js';
import type { CounterStore } from '../../store/types.js';

/** The fixed window of the per-address count; Retry-After names its length, the longest wait. */
const WINDOW_MS = 60_000;

/**
 * The bucket an address counts in: an IPv4 address, or the /64 of an IPv6 one — the smallest
 * network a site is given (RFC 6177), which one client can fill with 2^64 addresses of its own.
 */
export function addressBucket(ip: string): string {
  const plain = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (!isIPv6(plain)) return plain;
  const sl = new SocketAddress({ address: plain, family: 'ipv6' });
  // Expand :: so the first four groups are the /64.
  const [head = '', tail = ''] = sl.address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = sl.address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':')}::/64`;
}

/** How a refused request is answered: a page for browsers, a SOAP fault for rich clients. */
export type Refusal = (req: Request, res: Response) => void;

/**
 * Per client address, a bound on the requests an unauthenticated client can make us parse and
 * check a password for (login and change-password posts, WS-Trust): counted in the store, so the
 * bound holds across every node of a farm. Mounted before the body is read, so a refused request
 * costs one counter update. The first refusal of a window is audited; the rest of the flood is not,
 * so an attacker cannot turn it into one audit write per request.
 */
export class AddressRateLimit {
  constructor(
    private readonly counters: CounterStore,
    private readonly audit: Audit,
    private readonly perMinute: number,
  ) {}

  guard(refuse: Refusal): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      if (this.perMinute === 0) return next();
      const ip = req.ip ?? '';
      this.counters
        .increment(`rate:${addressBucket(ip)}`, WINDOW_MS)
        .then(async (count) => {
          if (count <= this.perMinute) return next();
          if (count === this.perMinute + 1) {
            await this.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'rate-limited', clientIp: ip, details: { path: req.path, perMinute: this.perMinute } });
          }
          res.set('Retry-After', String(WINDOW_MS / 1000));
          refuse(req, res);
        })
        // A store outage, or a failure while refusing, goes to the error handlers (a 503 page), never unhandled.
        .catch(next);
    };
  }
}
