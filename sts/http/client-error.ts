import { STATUS_CODES } from 'node:http';
import type { Server } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Audit } from '../../health/audit.js';
import type { Logger } from '../../health/log.js';
import { errorPage } from './error-page.js';

/**
 * What a request Node's HTTP parser refused before Express saw it becomes: the status Node itself
 * would send (RFC 6585 §5 431 for a request line or headers over `maxHeaderSize`, e.g. a 2 MB
 * HTTP-Redirect SAMLRequest or WS-Fed query; 400 for anything else llhttp cannot parse), a reason
 * for the audit trail, and the sentence the page shows.
 */
interface Refusal {
  status: number;
  reason: string;
  message: string;
}

const TOO_LARGE: Refusal = { status: 431, reason: 'request-too-large', message: 'The request is too large: its address or headers exceed what this server accepts. If you followed a link from an application, ask its administrator to send the sign-in request with HTTP POST.' };
const MALFORMED: Refusal = { status: 400, reason: 'malformed-request', message: 'The request is not valid HTTP and cannot be processed.' };
const CHUNK_TOO_LARGE: Refusal = { ...TOO_LARGE, status: 413 };
const TIMEOUT: Refusal = { status: 408, reason: 'request-timeout', message: 'The request did not arrive in time.' };

function refusalFor(code: string | undefined): Refusal | undefined {
  if (code === 'HPE_HEADER_OVERFLOW') return TOO_LARGE;
  // Node answers an over-long chunk extension 413; it is the same refusal for the same reason.
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return CHUNK_TOO_LARGE;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return TIMEOUT;
  if (code?.startsWith('HPE_')) return MALFORMED;
  // ECONNRESET, EPIPE and the like: the client went away, there is nobody to answer and nothing to audit.
  return undefined;
}

/**
 * The whole answer, built once per refusal at start-up so that a flood of bad requests costs a
 * buffer write each, not a page rendering. Nothing of the request is echoed: the page names only
 * the reason (as the other error pages' reference).
 */
function rawAnswer(r: Refusal): Buffer {
  const body = Buffer.from(errorPage({ title: STATUS_CODES[r.status] ?? 'Bad Request', message: r.message, reference: r.reason }));
  const head = [
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ''}`,
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${body.length}`,
    'Cache-Control: no-store',
    "Content-Security-Policy: default-src 'none'",
    'X-Content-Type-Options: nosniff',
    'Connection: close',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]);
}

/** How long a refused connection may go on sending (the rest of a 2 MB URL) before it is cut. */
const LINGER_MS = 2_000;

/**
 * Answers the requests Node's parser refuses ('clientError': there is no request object, only the
 * socket, a net.Socket or a TLSSocket alike) with a small page and a `request.rejected` audit event
 * carrying the client address, instead of Node's bare status line. The error's `rawPacket` (the
 * oversized bytes) is never logged or recorded. The socket is half-closed after the answer and
 * read on until the client is done or `LINGER_MS` passes: destroying it with the rest of the
 * request unread makes the kernel send a reset, which can discard the answer before the client
 * reads it. Every further parser error on that socket (each arriving chunk of the rest) is
 * ignored, so one bad request costs one answer and one audit event.
 * Returns `cut()`, which ends the lingering connections at shutdown.
 */
export function answerParserErrors(server: Server, deps: { audit: Audit; log: Logger }): { cut(): void } {
  const answers = new Map([TOO_LARGE, CHUNK_TOO_LARGE, MALFORMED, TIMEOUT].map((r) => [r, rawAnswer(r)]));
  const answered = new WeakSet<Duplex>();
  const lingering = new Set<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    const refusal = refusalFor(err.code);
    if (!refusal || !socket.writable) {
      deps.log.debug({ code: err.code }, 'client connection error');
      socket.destroy();
      return;
    }
    const remote = (socket as Duplex & { remoteAddress?: string }).remoteAddress;
    void deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: refusal.reason, clientIp: remote, details: { parserError: err.code ?? 'unknown' } });
    // A response of an earlier request on this connection is still being written: a second status
    // line would corrupt it (Node's own handler has the same caution), so the connection only ends.
    if ((socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    socket.end(answers.get(refusal));
    lingering.add(socket);
    const cut = setTimeout(() => socket.destroy(), LINGER_MS);
    cut.unref();
    socket.once('close', () => {
      clearTimeout(cut);
      lingering.delete(socket);
    });
  });
  return {
    cut() {
      for (const socket of lingering) socket.destroy();
    },
  };
}
