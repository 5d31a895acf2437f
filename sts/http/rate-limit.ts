import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Audit } from '../../health/audit.js';
import type { CounterStore } from '../../store/types.js';
import type { AddressThrottle } from '../signin/address-throttle.js';
import { addressBucket } from '../signin/network.js';
import { sendPage, type Branding } from '../ui/layout.js';
import { messagePage } from '../ui/message-page.js';

/** The fixed window of the per-address count; Retry-After names its length, the longest wait. */
const WINDOW_MS = 60_000;

/** Why a client address is refused: banned, too many requests this minute, too many failed passwords this window. */
export type RefusalReason = 'address-banned' | 'rate-limited' | 'address-throttled';

/** A refusal: why, the wait it names, whether it is the first of its window (the one audited). */
type Refused = { why: RefusalReason; windowMs: number; firstOfWindow: boolean; details: Record<string, number> };

/** How a refused request is answered: a page for browsers, a SOAP fault for rich clients. */
export type Refusal = (req: Request, res: Response, why: RefusalReason) => void;

/** The browser's answer: 403 for a banned address, else 429 (Retry-After is set already), each with its page. */
export function refusalPage(branding: Branding): Refusal {
  const t = branding.texts;
  return (_req, res, why) => {
    const [status, title, message] =
      why === 'address-banned' ? [403, t['banned.title'], t['banned.message']] : [429, t['rateLimit.title'], why === 'address-throttled' ? t['throttled.message'] : t['rateLimit.message']];
    sendPage(res, messagePage(branding, { title, message }), { status });
  };
}

/**
 * Per client address, a bound on the requests an unauthenticated client can make us parse and
 * check a password for (login and change-password posts, WS-Trust): a banned address is refused,
 * then a count per minute, then the failed passwords of the throttle's window
 * (sts/signin/address-throttle.ts), in which the request holds a place while in flight — all counted in the store, so the bounds hold across every node
 * of a farm. Mounted before the body is read, so a refused request costs a counter update or two.
 * The first refusal of a window is audited; the rest of the flood is not, so an attacker cannot
 * turn it into one audit write per request.
 */
export class AddressRateLimit {
  constructor(
    private readonly counters: CounterStore,
    private readonly audit: Audit,
    private readonly perMinute: number,
    private readonly throttle: AddressThrottle,
  ) {}

  /** Every bound: for the requests that carry a password. */
  guard(refuse: Refusal): RequestHandler {
    return this.handler(refuse, (ip, res) => this.refusal(ip, res));
  }

  /** Only the banned addresses: for the sign-in pages and SSO, which carry no password and are not counted (AD FS refuses a banned address any sign-in). */
  banGuard(refuse: Refusal): RequestHandler {
    return this.handler(refuse, async (ip) => (this.throttle.banned(ip) ? this.bannedRefusal(ip) : undefined));
  }

  private handler(refuse: Refusal, check: (ip: string, res: Response) => Promise<Refused | undefined>): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const ip = req.ip ?? '';
      check(ip, res)
        .then(async (refused) => {
          if (!refused) return next();
          if (refused.firstOfWindow) {
            await this.audit.record({ type: 'request.rejected', outcome: 'failure', reason: refused.why, clientIp: ip, details: { path: req.path, ...refused.details } });
          }
          if (refused.why !== 'address-banned') res.set('Retry-After', String(refused.windowMs / 1000));
          refuse(req, res, refused.why);
        })
        // A store outage, or a failure while refusing, goes to the error handlers (a 503 page), never unhandled.
        .catch(next);
    };
  }

  private async bannedRefusal(ip: string): Promise<Refused> {
    return { why: 'address-banned', windowMs: WINDOW_MS, firstOfWindow: await this.firstOfWindow('address-banned', addressBucket(ip), WINDOW_MS), details: {} };
  }

  private async refusal(ip: string, res: Response): Promise<Refused | undefined> {
    const bucket = addressBucket(ip);
    if (this.throttle.banned(ip)) return this.bannedRefusal(ip);
    if (this.perMinute > 0) {
      const count = await this.counters.increment(`rate:${bucket}`, WINDOW_MS);
      if (count > this.perMinute) return { why: 'rate-limited', windowMs: WINDOW_MS, firstOfWindow: count === this.perMinute + 1, details: { perMinute: this.perMinute } };
    }
    // A place among the address's failures while the request is in flight, given back when the
    // answer is done (its failure, if any, is counted by then): a parallel burst cannot pass a
    // check made before any of it failed.
    const place = await this.throttle.reserve(ip);
    if (!place) {
      const windowMs = this.throttle.windowMs;
      return { why: 'address-throttled', windowMs, firstOfWindow: await this.firstOfWindow('address-throttled', bucket, windowMs), details: { windowMinutes: windowMs / 60_000 } };
    }
    // Given back on 'finish' only: an answer is sent after the password check ended. A request the
    // client aborts keeps its place (counted as a failure until the window ends), else aborting
    // would free places while those checks still run. A store that cannot take the give-back
    // likewise leaves the place counted: it errs towards throttling, never past the bound.
    res.once('finish', () => {
      place.release().catch(() => undefined);
    });
    return undefined;
  }

  private firstOfWindow(why: RefusalReason, bucket: string, windowMs: number): Promise<boolean> {
    return this.counters.useOnce(`refused:${why}:${bucket}`, new Date(Date.now() + windowMs));
  }
}
