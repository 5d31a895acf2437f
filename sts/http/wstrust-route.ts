import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Audit } from '../../health/audit.js';
import type { Logger } from '../../health/log.js';
import { DirectoryUnavailable } from '../../directory/pool.js';
import { StoreUnavailableError } from '../../store/index.js';
import { BadRequest, InternalFailure, NoSuchTrust, ProtocolError, RequestDenied, ServiceUnavailable, TooManyRequests } from '../protocols/errors.js';
import { MAX_RST_BYTES } from '../protocols/wstrust/envelope.js';
import { FailedAuthentication, soapFault } from '../protocols/wstrust/faults.js';
import { issueForPassword, type WsTrustDeps } from '../protocols/wstrust/issue.js';
import { rstrEnvelope } from '../protocols/wstrust/response.js';
import { USERNAME_ENDPOINTS, type UsernameEndpoint } from '../protocols/wstrust/versions.js';
import type { AddressRateLimit } from './rate-limit.js';

export type WsTrustRouterDeps = WsTrustDeps & { audit: Audit; rateLimit: AddressRateLimit; log: Logger };

const SOAP12 = 'application/soap+xml; charset=utf-8';

/**
 * POST `/adfs/services/trust/{13,2005}/usernamemixed` (ENTRA.md §6.1–§6.4). Every failure is a
 * SOAP 1.2 fault with HTTP 500, as AD FS answers; protocol rejections get a `request.rejected`
 * audit event here, credential failures were audited by the sign-in pipeline.
 */
export function wstrustRouter(deps: WsTrustRouterDeps): Router {
  const r = Router();
  // SOAP 1.2 only (ENTRA.md §6.6); a larger body is cut off by the reader before any parsing.
  const body = express.raw({ type: 'application/soap+xml', limit: MAX_RST_BYTES });
  for (const endpoint of USERNAME_ENDPOINTS) {
    // The per-address bound applies before the body is read or parsed; the answer is a SOAP fault.
    const limited = deps.rateLimit.guard((_req, res, why) =>
      answerFault(res, why === 'address-banned' ? new RequestDenied(why, 'Requests from this address are not allowed.') : new TooManyRequests('Too many requests from this address.'), endpoint, undefined),
    );
    r.post(endpoint.path, limited, body, (req, res) => handle(deps, endpoint, req, res));
    r.use(endpoint.path, (err: unknown, req: Request, res: Response, next: NextFunction) => {
      // express.raw's own refusals (too large, bad encoding) carry a 4xx status.
      const status = (err as { status?: unknown } | null)?.status;
      if (typeof status !== 'number' || status >= 500) return next(err);
      void reject(deps, endpoint, new BadRequest(status === 413 ? 'xml-too-large' : 'unreadable-body'), undefined, req, res);
    });
  }
  return r;
}

async function handle(deps: WsTrustRouterDeps, endpoint: UsernameEndpoint, req: Request, res: Response): Promise<void> {
  const now = new Date();
  let messageId: string | undefined;
  try {
    if (!Buffer.isBuffer(req.body)) throw new BadRequest('content-type');
    const issued = await issueForPassword(deps, { endpoint, body: req.body, clientIp: req.ip ?? '', now }, (msg) => {
      messageId = msg.messageId;
    });
    res.status(200).set('Cache-Control', 'no-store').type(SOAP12).send(rstrEnvelope(endpoint, issued, now));
  } catch (err) {
    await reject(deps, endpoint, asProtocolError(deps, err), messageId, req, res);
  }
}

/**
 * A rich client understands only SOAP: an outage becomes a fault with 503 and Retry-After, a bug
 * (logged) a fault with 500, never the HTML error page.
 */
function asProtocolError(deps: WsTrustRouterDeps, err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (err instanceof StoreUnavailableError || err instanceof DirectoryUnavailable) return new ServiceUnavailable();
  deps.log.error({ err }, 'wstrust: request failed');
  return new InternalFailure();
}

async function reject(deps: WsTrustRouterDeps, endpoint: UsernameEndpoint, err: ProtocolError, relatesTo: string | undefined, req: Request, res: Response): Promise<void> {
  if (!(err instanceof FailedAuthentication)) {
    await deps.audit.record({
      type: 'request.rejected',
      outcome: 'failure',
      reason: err.reason,
      relyingParty: err instanceof NoSuchTrust ? err.identifier.slice(0, 256) : undefined,
      clientIp: req.ip,
      details: { protocol: 'wstrust', endpoint: endpoint.name },
    });
  }
  answerFault(res, err, endpoint, relatesTo);
}

/** AD FS answers every fault with HTTP 500; only a rate-limit refusal says 429, so clients back off. */
function answerFault(res: Response, err: ProtocolError, endpoint: UsernameEndpoint, relatesTo: string | undefined): void {
  if (err instanceof ServiceUnavailable) res.set('Retry-After', '5');
  res.status(err instanceof TooManyRequests || err instanceof ServiceUnavailable ? err.status : 500).set('Cache-Control', 'no-store').type(SOAP12).send(soapFault(err, endpoint.trust, relatesTo));
}
