import { connect, type PeerCertificate } from 'node:tls';
import { Agent, fetch } from 'undici';
import type { Config } from '../config/load.js';
import { daysLeft } from '../keys/validity.js';
import { fail, pass, warn, type DoctorCheck } from './doctor.js';

/** Every call `doctor` makes to our own public endpoint gives up after this long (STYLE.md: every outbound call has a timeout). */
export const ENDPOINT_TIMEOUT_MS = 10_000;

/**
 * An HTTPS client for our public endpoint as browsers and Entra reach it: system CAs (plus
 * NODE_EXTRA_CA_CERTS), certificate checked; `close` releases its connections.
 */
export function publicEndpointClient(): { get(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string }>; close(): Promise<void> } {
  const agent = new Agent({ connect: { timeout: ENDPOINT_TIMEOUT_MS } });
  return {
    async get(url, init = {}) {
      const res = await fetch(url, { ...init, dispatcher: agent, signal: AbortSignal.timeout(ENDPOINT_TIMEOUT_MS) }).catch((err: unknown) => {
        const cause = (err as { cause?: Error }).cause;
        throw new Error(`${url}: ${cause?.message ?? (err as Error).message}`);
      });
      return { status: res.status, text: await res.text() };
    },
    close: () => agent.close(),
  };
}

/**
 * The TLS certificate `server.publicUrl` presents, as a browser or Entra judges it: a chain to a
 * trusted CA, the host name in it, and its days left (warned under `doctor.tlsWarnDaysBeforeExpiry`).
 */
export function tlsCertificateCheck(config: Config, now = new Date()): DoctorCheck {
  const url = new URL(config.server.publicUrl);
  const host = url.hostname;
  const port = Number(url.port || 443);
  return {
    name: 'tls certificate',
    run: async () => {
      const { cert, authorizationError } = await peerCertificate(host, port);
      const days = daysLeft(new Date(cert.valid_to), now);
      const what = `${cert.subject?.CN ?? '?'} issued by ${cert.issuer?.CN ?? '?'}, ${days} days left`;
      const renew = 'install a certificate from a CA browsers trust, with the public host name, as server.tls.certFile (full chain) and restart';
      // Node's verification covers the chain and the name (RFC 6125) alike; the name is said in words.
      const problem = authorizationError === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `the certificate does not name ${host}` : authorizationError;
      if (problem) return fail(`${url.host}: ${problem} (${what})`, renew);
      if (days < 0) return fail(`${what}: expired`, renew);
      if (days < config.doctor.tlsWarnDaysBeforeExpiry) return warn(what, `renew it before it expires: ${renew}`);
      return pass(what);
    },
  };
}

function peerCertificate(host: string, port: number): Promise<{ cert: PeerCertificate; authorizationError: string | undefined }> {
  return new Promise((resolve, reject) => {
    // Not rejected at once, so an untrusted chain is reported with the certificate it came with.
    const socket = connect({ host, port, servername: host.match(/^[\d.]+$|:/) ? undefined : host, rejectUnauthorized: false, timeout: ENDPOINT_TIMEOUT_MS }, () => {
      const cert = socket.getPeerCertificate(true);
      const authorizationError = socket.authorized ? undefined : String(socket.authorizationError);
      socket.end();
      resolve({ cert, authorizationError });
    });
    socket.once('timeout', () => socket.destroy(new Error(`${host}:${port}: no TLS answer in ${ENDPOINT_TIMEOUT_MS} ms`)));
    socket.once('error', (err) => reject(new Error(`${host}:${port}: ${err.message}`)));
  });
}

/** `/adfs/probe` answers 200 once the service is ready, as load balancers ask it (ARCHITECTURE.md "Endpoints"). */
export function probeCheck(probeUrl: string, client: ReturnType<typeof publicEndpointClient>): DoctorCheck {
  return {
    name: 'probe',
    run: async () => {
      const res = await client.get(probeUrl);
      if (res.status !== 200) return fail(`${probeUrl} answered ${res.status}`, 'see the server log: the service is not ready');
      return pass(`${probeUrl} answered 200`);
    },
  };
}
