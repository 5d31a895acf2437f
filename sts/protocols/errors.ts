/**
 * Errors a protocol adapter raises, named for what the user is told; mapped once to a page (or,
 * for SOAP, a fault) and an audit event. `reason` is the audit reason code.
 */
export class ProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly title: string,
    readonly userMessage: string,
  ) {
    super(`${reason}: ${userMessage}`);
  }
}

export class BadRequest extends ProtocolError {
  constructor(reason: string, message = 'The sign-in request is not valid.') {
    super(400, reason, 'Bad request', message);
  }
}

export class NoSuchTrust extends ProtocolError {
  constructor(readonly identifier: string) {
    super(400, 'unknown-relying-party', 'Unknown application', 'The application you came from is not registered with this sign-in service.');
  }
}

/** A reply address not registered for the trust: refused, never followed (no open redirect). */
export class InvalidReply extends ProtocolError {
  constructor(readonly reply: string) {
    super(400, 'unregistered-reply', 'Sign-in refused', 'The address the application asked to return to is not registered for it.');
  }
}

export class RequestDenied extends ProtocolError {
  constructor(reason: string, message: string) {
    super(403, reason, 'Sign-in refused', message);
  }
}

/** Too many requests from one client address (sts/http/rate-limit.ts): HTTP 429 with Retry-After. */
export class TooManyRequests extends ProtocolError {
  constructor(message: string) {
    super(429, 'rate-limited', 'Too many attempts', message);
  }
}

/** A store or directory outage (HTTP 503 with Retry-After): nothing is wrong with the request, try again shortly. */
export class ServiceUnavailable extends ProtocolError {
  constructor() {
    super(503, 'service-unavailable', 'Temporarily unavailable', 'Sign-in is briefly unavailable. Try again in a few seconds.');
  }
}

/** Something failed that no check foresaw (logged with its stack): the client still gets an answer in its protocol. */
export class InternalFailure extends ProtocolError {
  constructor() {
    super(500, 'internal-error', 'Something went wrong', 'The request could not be completed. Try again later.');
  }
}
