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

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return destination ? pino({ level, redact }, destination as pino.DestinationStream) : pino({ level, redact });
}
