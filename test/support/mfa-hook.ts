import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A vendor's MFA service as docs/mfa-hook.md describes it, written from the contract (not from
 * Gatehouse's code): it checks the request's timestamp and HMAC-SHA256 signature, records what it
 * was asked, and answers as the test's `decide` says, signing its answer the same way.
 */
export type HookDecision =
  | { status: 'pending' | 'denied' | 'approved'; wantsCode?: boolean; message?: string; state?: string }
  | { hang: true }
  | { raw: { status: number; body: string; headers?: Record<string, string> } }
  | { sign: false; status: string };

export interface HookRequest {
  body: Record<string, unknown> & { type: string; challengeId: string };
  signatureValid: boolean;
  timestampSkewSeconds: number;
}

export async function startMfaHook(secret: string, decide: (req: HookRequest) => HookDecision | Promise<HookDecision>) {
  const requests: HookRequest[] = [];
  const mac = (ts: string, body: string) => `v1=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const ts = String(req.headers['x-gatehouse-timestamp'] ?? '');
    const given = Buffer.from(String(req.headers['x-gatehouse-signature'] ?? ''));
    const expected = Buffer.from(mac(ts, text));
    const hr: HookRequest = {
      body: JSON.parse(text) as HookRequest['body'],
      signatureValid: req.method === 'POST' && req.headers['content-type'] === 'application/json' && given.length === expected.length && timingSafeEqual(given, expected),
      timestampSkewSeconds: Math.abs(Number(ts) - Date.now() / 1000),
    };
    requests.push(hr);
    if (!hr.signatureValid || hr.timestampSkewSeconds > 300) {
      res.writeHead(401).end();
      return;
    }
    const d = await decide(hr);
    if ('hang' in d) return; // never answers: the caller's timeout must end it
    if ('raw' in d) {
      res.writeHead(d.raw.status, d.raw.headers ?? {}).end(d.raw.body);
      return;
    }
    const answerTs = String(Math.floor(Date.now() / 1000));
    if ('sign' in d) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challengeId: hr.body.challengeId, status: d.status }));
      return;
    }
    const body = JSON.stringify({ challengeId: hr.body.challengeId, ...d });
    res.writeHead(200, { 'content-type': 'application/json', 'x-gatehouse-timestamp': answerTs, 'x-gatehouse-signature': mac(answerTs, body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mfa`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
