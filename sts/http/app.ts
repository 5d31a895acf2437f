import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { AdfsPath } from '../../metadata/endpoints.js';
import { StoreUnavailableError } from '../../store/index.js';
import { errorPage } from './error-page.js';

export interface Readiness {
  ready: boolean;
}

/**
 * The public express app: helmet defaults, the AD FS probe, the protocol routers, and one place
 * that turns anything unexpected into a page that reveals nothing.
 */
export function createApp(opts: { log: Logger; readiness: Readiness; trustedProxies: string[]; routers?: Router[] }): Express {
  const app = express();
  app.disable('x-powered-by');
  // Only named proxies: with `true` express believes the left-most X-Forwarded-For entry, which the client writes.
  app.set('trust proxy', opts.trustedProxies.length > 0 ? opts.trustedProxies : false);
  app.use(
    helmet({
      // Our answers auto-POST forms to relying parties' reply URLs, so form-action must not be 'self' only;
      // each protocol response sets its own form-action with the exact target.
      contentSecurityPolicy: { useDefaults: true, directives: { 'form-action': null, 'upgrade-insecure-requests': [] } },
    }),
  );

  // AD FS answers its probe with 200 once it can serve; load balancers poll it (ARCHITECTURE.md endpoints).
  app.get(AdfsPath.probe, (_req, res) => {
    res.status(opts.readiness.ready ? 200 : 503).type('text/plain').send(opts.readiness.ready ? '' : 'starting or stopping');
  });

  for (const r of opts.routers ?? []) app.use(r);

  app.use((_req, res) => {
    res.status(404).type('html').send(errorPage({ title: 'Not found', message: 'There is no page at this address.' }));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof StoreUnavailableError) {
      // The store is down or restarting (a farm's PostgreSQL): nothing was half-done, so the client
      // may simply come back; the load balancer's probe still sees this node up.
      opts.log.warn({ path: req.path, reason: err.message }, 'store unavailable');
      res.status(503).set('Retry-After', '5').type('html').send(errorPage({ title: 'Temporarily unavailable', message: 'Sign-in is briefly unavailable. Try again in a few seconds.' }));
      return;
    }
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) opts.log.error({ err, path: req.path }, 'request failed');
    res
      .status(status)
      .type('html')
      .send(errorPage(status >= 500 ? { title: 'Something went wrong', message: 'The request could not be completed. Try again later.' } : { title: 'Bad request', message: 'The request could not be understood.' }));
  });
  return app;
}
