import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Tenant } from './tenant.js';
import { Faults } from './faults.js';
import { AccessTokens } from './access-tokens.js';
import { newTlsMaterial } from './certs.js';
import { tokenRouter } from './token-endpoint.js';
import { graphRouter, send } from './graph/http.js';
import { faultResponse } from './graph/throttle.js';
import { signInRouter } from './signin/router.js';

export interface EntraDouble {
  /** `https://127.0.0.1:<port>`: authority host, Graph host (`/v1.0`) and sign-in host at once. */
  url: string;
  /** PEM of the double's own CA; trust it to talk to `url`. */
  caCertPem: string;
  tenant: Tenant;
  faults: Faults;
  close(): Promise<void>;
}

/** Start the Entra ID + Graph double on a free loopback port with its own test CA. */
export async function startEntraDouble(opts: { tenantId?: string; initialDomain?: string } = {}): Promise<EntraDouble> {
  const tenant = new Tenant({ id: opts.tenantId, initialDomain: opts.initialDomain });
  const faults = new Faults();
  const [tls, tokens] = await Promise.all([newTlsMaterial(), AccessTokens.create()]);
  let baseUrl = '';

  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const fault = faults.take(req.method, req.path, 'request');
    if (!fault) return next();
    if (fault.kind === 'drop') return void req.socket.destroy();
    send(req, res, faultResponse(fault.kind, fault.retryAfterSeconds));
  });
  app.use(tokenRouter({ tenant, baseUrl: () => baseUrl, signAccessToken: (c, s) => tokens.sign(c, s), jwks: () => tokens.jwks() }));
  app.use(graphRouter({ tenant, baseUrl: () => baseUrl, faults, tokens }));
  app.use(signInRouter(() => ({ tenant, baseUrl })));

  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    caCertPem: tls.caCertPem,
    tenant,
    faults,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),
  };
}
