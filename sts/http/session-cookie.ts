import type { Request, Response } from 'express';
import type { SealedValues } from '../../keys/sealing.js';
import type { LiveSession, SessionData, SsoSessions } from '../signin/session.js';
import type { Authentication } from '../signin/types.js';
import { clearCookie, readCookie, setCookie } from './cookies.js';

/** The browser's half of the SSO session: a sealed cookie naming the store record, nothing more. */
export class SessionCookie {
  constructor(
    private readonly sessions: SsoSessions,
    private readonly sealed: SealedValues,
    private readonly opts: { cookieName: string },
  ) {}

  async start(res: Response, auth: Authentication, now = new Date()): Promise<LiveSession> {
    const live = await this.sessions.start(auth, now);
    // SameSite=None: the session must ride the SAML POST binding's cross-site POST too.
    setCookie(res, this.opts.cookieName, this.sealed.seal({ sid: live.id, exp: live.expiresAt.getTime() }), {
      sameSite: 'none',
      // Keep-me-signed-in: a persistent cookie, for the session's lifetime; else it ends with the browser.
      ...(auth.persistent ? { maxAgeMs: live.expiresAt.getTime() - now.getTime() } : {}),
    });
    return live;
  }

  async current(req: Request, now = new Date()): Promise<LiveSession | undefined> {
    const cookie = this.sealed.open<{ sid: string; exp: number }>(readCookie(req, this.opts.cookieName));
    if (!cookie || typeof cookie.sid !== 'string' || typeof cookie.exp !== 'number' || cookie.exp <= now.getTime()) return undefined;
    return this.sessions.get(cookie.sid, now);
  }

  /** A step-up: the session's sign-in now includes MFA, so later requests for MFA reuse it. */
  async recordMfa(live: LiveSession, auth: Authentication): Promise<void> {
    await this.sessions.recordMfa(live, auth);
  }

  /** Ends the session in the store and in the browser; returns what it was, for sign-out cleanup. */
  async end(req: Request, res: Response): Promise<SessionData | undefined> {
    const live = await this.current(req);
    clearCookie(res, this.opts.cookieName);
    return live ? this.sessions.end(live.id) : undefined;
  }
}
