import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs on stdout. Anything that looks like a credential is censored by key, wherever it sits,
 * as a second line of defence: code must not log credentials in the first place.
 */
const redact = {
  paths: [
    'password', 'Password', '*.password', '*.Password', '*.*.password',
    'secret', '*.secret', 'token', '*.token', 'wresult', '*.wresult', 'SAMLResponse', '*.SAMLResponse',
    'req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]',
  ],
  censor: '[redacted]',
};

/**
 * Lines to stdout are buffered and written asynchronously (sonic-boom, flushed at exit by pino):
 * a synchronous write per line on the request path costs each token a system call.
 */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact }, destination ? (destination as pino.DestinationStream) : pino.destination({ dest: 1, sync: false }));
}
