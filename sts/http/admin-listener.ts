import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Audit } from '../../health/audit.js';
import type { Logger } from '../../health/log.js';

/** What the admin listener serves; sts/ops.ts gathers each from the running node. */
export interface AdminHandlers {
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The doctor's server-side checks as JSON; `ok` false answers 503, so a monitor can probe it as it is. */
  health(): Promise<{ ok: boolean; json: unknown }>;
  /** The health page and the CSP that lets it render (its inline stylesheet only). */
  page(): Promise<{ html: string; csp: string }>;
}

export interface AdminListenerOptions {
  host: string;
  port: number;
  /** HTTPS with these (server.tls); plain HTTP only on loopback (config/schema.ts refuses otherwise). */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer | undefined } | undefined;
  token?: string | undefined;
  audit: Audit;
  log: Logger;
}

const REALM = 'Bearer realm="gatehouse-admin"';

/**
 * The token of `Authorization: Bearer <token>` (RFC 6750 §2.1), or the password of Basic (RFC 7617,
 * any user name) so that a person can open the health page in a browser, which prompts for Basic only.
 */
function presentedToken(header: string): string | undefined {
  const bearer = /^Bearer ([\x21-\x7e]+)$/i.exec(header)?.[1];
  if (bearer !== undefined) return bearer;
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header)?.[1];
  if (basic === undefined) return undefined;
  const pair = Buffer.from(basic, 'base64').toString('utf8');
  return pair.includes(':') ? pair.slice(pair.indexOf(':') + 1) : undefined;
}
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The operators' listener, apart from the public one (Ory Hydra's admin port; AD FS keeps its
 * counters off the extranet): /metrics, /health and the health page. Every request shows its
 * token (Bearer, or a browser's Basic password; compared in constant time, over digests so the length leaks nothing either) or a
 * client certificate issued by `clientCa`; anything else is answered 401 with WWW-Authenticate
 * (RFC 6750 §3) and audited.
 */
export async function listenAdmin(handlers: AdminHandlers, o: AdminListenerOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  const wanted = o.token === undefined ? undefined : digest(o.token);
  app.use((req, res, next) => void authorise(req, res, next));

  async function authorise(req: Request, res: Response, next: NextFunction): Promise<void> {
    const socket = req.socket as Partial<TLSSocket>;
    if (o.tls?.clientCa && socket.authorized === true) return next();
    const header = req.get('authorization') ?? '';
    const presented = presentedToken(header);
    if (wanted && presented !== undefined && timingSafeEqual(digest(presented), wanted)) return next();
    const reason = presented !== undefined ? 'bad-token' : header ? 'bad-authorization' : socket.authorized === false && socket.getPeerCertificate?.()?.subject ? 'untrusted-certificate' : 'no-credential';
    await o.audit.record({ type: 'admin.refused', outcome: 'failure', reason, clientIp: req.socket.remoteAddress, details: { path: req.path.slice(0, 128) } });
    // A browser asks for a password only when offered Basic: the page offers it, the machine endpoints Bearer alone.
    const challenges = [presented !== undefined ? `${REALM}, error="invalid_token"` : REALM, ...(req.path === '/' ? ['Basic realm="gatehouse-admin", charset="UTF-8"'] : [])];
    res.status(401).set('WWW-Authenticate', challenges).set('Cache-Control', 'no-store').type('text/plain').send('authentication required\n');
  }

  const answer = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    fn(req, res).catch((err: unknown) => {
      o.log.error({ err, path: req.path }, 'admin request failed');
      if (!res.headersSent) res.status(503).set('Retry-After', '5').type('text/plain').send('not available now\n');
    });
  };
  app.get('/metrics', answer(async (_req, res) => {
    const m = await handlers.metrics();
    res.set('Cache-Control', 'no-store').type(m.contentType).send(m.body);
  }));
  app.get('/health', answer(async (_req, res) => {
    const h = await handlers.health();
    res.status(h.ok ? 200 : 503).set('Cache-Control', 'no-store').json(h.json);
  }));
  app.get('/', answer(async (_req, res) => {
    const p = await handlers.page();
    res.set({ 'Content-Security-Policy': p.csp, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' }).type('html').send(p.html);
  }));
  app.use((_req, res) => void res.status(404).type('text/plain').send('not found\n'));

  const server: HttpServer = o.tls
    ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2', ...(o.tls.clientCa ? { ca: o.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}) }, app)
    : createHttpServer(app);
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  o.log.info({ host: o.host, port, https: o.tls !== undefined }, 'admin listener up');
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
