import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { AlertMessage } from '../../health/alert-channels.js';

/** The secret the receiver checks X-Gatehouse-Signature with; configure the webhook with it. */
export const WEBHOOK_SECRET = 'webhook-shared-secret';

/** A webhook receiver as a chat bridge would run one: it keeps what it was posted and checks our signature. */
export async function startReceiver(): Promise<{ url: string; received: { message: AlertMessage; signed: boolean }[]; failNext: number; server: Server }> {
  const state = { url: '', received: [] as { message: AlertMessage; signed: boolean }[], failNext: 0, server: undefined as unknown as Server };
  state.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.failNext > 0) {
        state.failNext--;
        res.writeHead(503).end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const signed = req.headers['x-gatehouse-signature'] === `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
      state.received.push({ message: JSON.parse(body) as AlertMessage, signed });
      res.writeHead(204).end();
    });
  });
  state.server.listen(0, '127.0.0.1');
  await once(state.server, 'listening');
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/hooks/gatehouse`;
  return state;
}

/** A mail server that keeps each message's subject (smtp-server as the receiving party). */
export async function startMailbox(): Promise<{ port: number; subjects: string[]; server: SMTPServer }> {
  const subjects: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        // Long header lines arrive folded (RFC 5322 §2.2.3): unfolded before reading the subject.
        const headers = Buffer.concat(chunks).toString('utf8').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
        const subject = /^Subject: (.*)$/m.exec(headers)?.[1];
        if (subject) subjects.push(subject.trim());
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as AddressInfo).port, subjects, server };
}
