import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Audit } from '../../health/audit.js';
import type { CounterStore } from '../../store/types.js';

/** The fixed window of the per-address count; Retry-After names its length, the longest wait. */
const WINDOW_MS = 60_000;

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
      this.counters.increment(`rate:${ip}`, WINDOW_MS).then(async (count) => {
        if (count <= this.perMinute) return next();
        if (count === this.perMinute + 1) {
          await this.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'rate-limited', clientIp: ip, details: { path: req.path, perMinute: this.perMinute } });
        }
        res.set('Retry-After', String(WINDOW_MS / 1000));
        refuse(req, res);
      }, next);
    };
  }
}
