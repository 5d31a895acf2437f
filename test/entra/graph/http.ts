import { randomUUID } from 'node:crypto';
import express, { type Router, type Request, type Response, type NextFunction } from 'express';
import type { Tenant } from '../tenant.js';
import type { Faults } from '../faults.js';
import type { AccessTokens } from '../access-tokens.js';
import { dispatch } from './routes.js';
import { batch } from './batch.js';
import { graphError, type GraphResponse } from './types.js';

/** Graph v1.0 over HTTP: token check, then `$batch` or one call; every answer carries request-id / client-request-id. */
export function graphRouter(opts: { tenant: Tenant; baseUrl: () => string; faults: Faults; tokens: AccessTokens }): Router {
  const router = express.Router();
  router.use('/v1.0', express.json({ limit: '4mb', type: () => true }));
  router.all('/v1.0/{*path}', (req, res) => {
    const auth = opts.tokens.check(req.headers.authorization);
    if (!auth.ok) {
      return send(req, res, { ...graphError(401, 'InvalidAuthenticationToken', auth.message), headers: { 'WWW-Authenticate': 'Bearer realm=""' } });
    }
    const url = new URL(req.originalUrl, 'https://graph.invalid');
    const path = url.pathname.slice('/v1.0'.length);
    const graphReq = {
      method: req.method, path, query: url.searchParams, body: req.body as unknown, roles: auth.roles, tenant: opts.tenant,
      graphBase: `${opts.baseUrl()}/v1.0`,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? ''])),
    };
    send(req, res, path === '/$batch' && req.method === 'POST' ? batch(graphReq, opts.faults) : dispatch(graphReq));
  });
  // A body that is not JSON: Graph answers 400 BadRequest.
  router.use('/v1.0', (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof SyntaxError)) return next(err);
    send(req, res, graphError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.'));
  });
  return router;
}

export function send(req: Request, res: Response, r: GraphResponse): void {
  const requestId = r.headers?.['request-id'] ?? randomUUID();
  res.status(r.status).set({ ...r.headers, 'request-id': requestId, 'client-request-id': req.get('client-request-id') ?? requestId });
  if (r.body === undefined) res.end();
  else res.json(r.body);
}
