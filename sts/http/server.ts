import type { Express } from 'express';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Audit } from '../../health/audit.js';
import type { Readiness } from './app.js';
import { answerParserErrors } from './client-error.js';

export interface RunningServer {
  server: Server;
  port: number;
  /** Stops accepting, lets open requests finish within the grace period, then closes the rest. */
  stop(): Promise<void>;
}

export async function listenHttps(app: Express, opts: {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  graceMs: number;
  readiness: Readiness;
  log: Logger;
  /** Where the requests Node's parser refuses (oversized, malformed) are recorded. */
  audit: Audit;
  /**
   * The certificate listener: ask every client for a certificate issued under these CA files (their
   * names are the acceptable-CA list the browser filters by) and let OpenSSL verify it against them
   * only; a failed verification still completes the handshake so the page can say why.
   */
  clientCaFiles?: string[];
}): Promise<RunningServer> {
  const [cert, key, ...clientCas] = await Promise.all([readFile(opts.certFile), readFile(opts.keyFile), ...(opts.clientCaFiles ?? []).map((f) => readFile(f))]);
  const clientAuth = opts.clientCaFiles ? { requestCert: true, rejectUnauthorized: false, ca: clientCas } : {};
  const server = createServer({ cert, key, minVersion: 'TLSv1.2', ...clientAuth }, app);
  // Slowloris guard: a client must send its headers promptly.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  const refused = answerParserErrors(server, { audit: opts.audit, log: opts.log });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ host: opts.host, port }, 'listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= new Promise<void>((resolve) => {
      opts.readiness.ready = false;
      const force = setTimeout(() => server.closeAllConnections(), opts.graceMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        opts.log.info('stopped');
        resolve();
      });
      server.closeIdleConnections();
      refused.cut();
    }));
  return { server, port, stop };
}
