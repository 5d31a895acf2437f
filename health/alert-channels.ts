import { createHmac } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { Agent, fetch } from 'undici';

/** One alert as it is sent: when it starts (`firing`) and once when it clears (`resolved`). */
export interface AlertMessage {
  status: 'firing' | 'resolved';
  /** Stable identity of the condition, e.g. `certificate-expiry:<thumbprint>`: a receiver de-duplicates by it too. */
  key: string;
  kind: string;
  severity: 'warning' | 'critical';
  summary: string;
  details: Record<string, string | number | boolean>;
  /** When the condition was first seen (ISO 8601). */
  since: string;
  /** When this message was made (ISO 8601). */
  at: string;
  /** The Gatehouse it is about: server.publicUrl, and the node that sent it. */
  service: string;
  node: string;
}

/** Somewhere alerts go; `send` throws when the message did not get there (it is tried again next time). */
export interface AlertChannel {
  name: string;
  send(message: AlertMessage): Promise<void>;
  close(): Promise<void>;
}

export interface WebhookOptions {
  url: string;
  secret?: string | undefined;
  timeoutMs: number;
  retries: number;
  caPem?: string | undefined;
  /** The pause before the first retry, doubling after each (tests shorten it). */
  retryDelayMs?: number;
}

/**
 * POSTs each message as JSON. With a secret the body's HMAC-SHA256 goes in X-Gatehouse-Signature
 * (`sha256=<hex>`, the form GitHub's webhooks use), so a receiver can reject forgeries. A network
 * failure, 429 or 5xx is retried; any other status is the receiver's refusal and is not.
 */
export function webhookChannel(o: WebhookOptions): AlertChannel {
  const dispatcher = new Agent({ connect: { timeout: o.timeoutMs, ...(o.caPem ? { ca: o.caPem } : {}) } });
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    name: 'webhook',
    async send(message) {
      const body = JSON.stringify(message);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Gatehouse-Alerts/1' };
      if (o.secret) headers['x-gatehouse-signature'] = `sha256=${createHmac('sha256', o.secret).update(body).digest('hex')}`;
      let last = '';
      for (let attempt = 0; attempt <= o.retries; attempt++) {
        if (attempt > 0) await pause((o.retryDelayMs ?? 1000) * 2 ** (attempt - 1));
        try {
          const res = await fetch(o.url, { method: 'POST', body, headers, dispatcher, signal: AbortSignal.timeout(o.timeoutMs) });
          await res.body?.cancel();
          if (res.ok) return;
          last = `answered ${res.status}`;
          if (res.status !== 429 && res.status < 500) break;
        } catch (err) {
          last = ((err as { cause?: Error }).cause ?? (err as Error)).message;
        }
      }
      throw new Error(`webhook ${new URL(o.url).origin}: ${last}`);
    },
    close: () => dispatcher.close(),
  };
}

export interface SmtpOptions {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  username?: string | undefined;
  password?: string | undefined;
  caPem?: string | undefined;
  from: string;
  to: string[];
  timeoutMs: number;
}

/** Mails each message as plain text through the configured SMTP server (nodemailer). */
export function smtpChannel(o: SmtpOptions): AlertChannel {
  const transport = createTransport({
    host: o.host,
    port: o.port,
    secure: o.secure,
    requireTLS: !o.secure && o.requireTls,
    ...(o.username ? { auth: { user: o.username, pass: o.password ?? '' } } : {}),
    ...(o.caPem ? { tls: { ca: o.caPem } } : {}),
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
  });
  return {
    name: 'smtp',
    async send(m) {
      const word = m.status === 'firing' ? (m.severity === 'critical' ? 'CRITICAL' : 'WARNING') : 'RESOLVED';
      const lines = [
        m.summary,
        '',
        `status: ${m.status}`,
        `since: ${m.since}`,
        ...Object.entries(m.details).map(([k, v]) => `${k}: ${v}`),
        '',
        `${m.service} (node ${m.node}), ${m.at}`,
        `alert key: ${m.key}`,
      ];
      await transport.sendMail({ from: o.from, to: o.to, subject: `[Gatehouse ${word}] ${m.summary}`, text: lines.join('\n'), headers: { 'X-Gatehouse-Alert': m.key } });
    },
    close: async () => transport.close(),
  };
}
