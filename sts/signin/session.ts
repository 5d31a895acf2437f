import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { SessionStore } from '../../store/types.js';
import { clearCookie, readCookie, setCookie } from '../http/cookies.js';
import type { SealedValues } from '../http/sealed-value.js';
import type { Authentication } from './types.js';

/** A relying party that got a token in this session: sign-out cleans each up (MS-MWBF wsignoutcleanup1.0). */
export interface SessionParty {
  identifier: string;
  signOutUrl: string;
}

/** What the SSO session remembers: enough to re-issue without a prompt, never a credential. */
export interface SessionData {
  objectGuid: string;
  upn: string;
  methods: string[];
  instant: string;
  mfaInstant?: string | undefined;
  persistent: boolean;
  insideCorporateNetwork: boolean;
  parties: SessionParty[];
}

export interface LiveSession {
  id: string;
  data: SessionData;
}

/**
 * The SSO session: a sealed cookie naming a store record (ARCHITECTURE.md "State"), so sign-out and
 * revocation end it on every node even while the cookie itself would still be valid.
 */
export class SsoSessions {
  constructor(
    private readonly store: SessionStore,
    private readonly sealed: SealedValues,
    private readonly opts: { cookieName: string; lifetimeMs: number },
  ) {}

  async start(res: Response, auth: Authentication, user: string, now = new Date()): Promise<LiveSession> {
    const id = randomBytes(24).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.opts.lifetimeMs);
    const data: SessionData = {
      objectGuid: auth.user.objectGuid,
      upn: auth.user.upn,
      methods: auth.methods,
      instant: auth.instant.toISOString(),
      mfaInstant: auth.mfaInstant?.toISOString(),
      persistent: auth.persistent,
      insideCorporateNetwork: auth.insideCorporateNetwork,
      parties: [],
    };
    await this.store.create({ id, user, createdAt: now, expiresAt, data: data as unknown as Record<string, unknown> });
    // SameSite=None: the session must ride the SAML POST binding's cross-site POST too.
    setCookie(res, this.opts.cookieName, this.sealed.seal({ sid: id, exp: expiresAt.getTime() }), {
      sameSite: 'none',
      ...(auth.persistent ? { maxAgeMs: this.opts.lifetimeMs } : {}),
    });
    return { id, data };
  }

  async current(req: Request, now = new Date()): Promise<LiveSession | undefined> {
    const cookie = this.sealed.open<{ sid: string; exp: number }>(readCookie(req, this.opts.cookieName));
    if (!cookie || typeof cookie.sid !== 'string' || cookie.exp <= now.getTime()) return undefined;
    const record = await this.store.get(cookie.sid, now);
    return record && { id: record.id, data: record.data as unknown as SessionData };
  }

  async addParty(session: LiveSession, party: SessionParty): Promise<void> {
    if (session.data.parties.some((p) => p.identifier === party.identifier)) return;
    session.data.parties.push(party);
    await this.store.update(session.id, session.data as unknown as Record<string, unknown>);
  }

  /** Ends the session in the store and in the browser; returns what it was, for sign-out cleanup. */
  async end(req: Request, res: Response): Promise<SessionData | undefined> {
    const live = await this.current(req);
    clearCookie(res, this.opts.cookieName);
    if (!live) return undefined;
    await this.store.delete(live.id);
    return live.data;
  }
}
