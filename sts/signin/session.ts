import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SessionStore } from '../../store/types.js';
import type { Authentication } from './types.js';

/**
 * A SAML 2.0 session participant: what a LogoutRequest to it must repeat (SAML Core §3.7.1) — the
 * NameID it was given, the AuthnStatement's SessionIndex, and the Issuer it was given them by.
 */
const samlParticipant = z.object({
  nameId: z.string(),
  nameIdFormat: z.string(),
  sessionIndex: z.string(),
  issuer: z.string(),
});
export type SamlParticipant = z.infer<typeof samlParticipant>;

/**
 * A relying party that got a token in this session: sign-out cleans each up, WS-Fed parties with
 * wsignoutcleanup1.0 (MS-MWBF), SAML ones (with `saml`) with a LogoutRequest, OpenID Connect
 * clients (`frontChannel`) by loading their front-channel logout URI as it is.
 */
const sessionParty = z.object({ identifier: z.string(), signOutUrl: z.string(), saml: samlParticipant.optional(), frontChannel: z.boolean().optional() });
export type SessionParty = z.infer<typeof sessionParty>;

/**
 * What the SSO session remembers: enough to re-issue without a prompt, never a credential. Read
 * back through this schema: the store keeps JSON, and a record that does not fit (another version
 * wrote it) is no session rather than a half-trusted one.
 */
const sessionData = z.object({
  objectGuid: z.string(),
  upn: z.string(),
  methods: z.array(z.string()),
  instant: z.string(),
  mfaInstant: z.string().optional(),
  persistent: z.boolean(),
  insideCorporateNetwork: z.boolean(),
  parties: z.array(sessionParty),
});
export type SessionData = z.infer<typeof sessionData>;

export interface LiveSession {
  id: string;
  data: SessionData;
  expiresAt: Date;
}

/**
 * The SSO session's record in the store (ARCHITECTURE.md "State"), so sign-out and revocation end
 * it on every node; the browser holds only a sealed reference to it (sts/http/session-cookie.ts).
 */
export class SsoSessions {
  constructor(
    private readonly store: SessionStore,
    private readonly opts: { lifetimeMs: number },
  ) {}

  async start(auth: Authentication, now = new Date()): Promise<LiveSession> {
    const id = randomBytes(24).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.opts.lifetimeMs);
    const data: SessionData = {
      objectGuid: auth.user.objectGuid,
      upn: auth.user.upn,
      methods: auth.methods,
      instant: auth.instant.toISOString(),
      ...(auth.mfaInstant ? { mfaInstant: auth.mfaInstant.toISOString() } : {}),
      persistent: auth.persistent,
      insideCorporateNetwork: auth.insideCorporateNetwork,
      parties: [],
    };
    await this.store.create({ id, user: auth.user.upn, createdAt: now, expiresAt, data });
    return { id, data, expiresAt };
  }

  async get(id: string, now = new Date()): Promise<LiveSession | undefined> {
    const record = await this.store.get(id, now);
    const data = record && sessionData.safeParse(record.data);
    return record && data?.success ? { id: record.id, data: data.data, expiresAt: record.expiresAt } : undefined;
  }

  async addParty(session: LiveSession, party: SessionParty): Promise<void> {
    const known = session.data.parties.findIndex((p) => p.identifier === party.identifier);
    if (known >= 0 && !party.saml) return;
    // A SAML party signed in again holds the newer NameID and SessionIndex (a transient NameID changes).
    if (known >= 0) session.data.parties.splice(known, 1);
    session.data.parties.push(party);
    await this.store.update(session.id, session.data);
  }

  /** The session's sign-in gained a second factor (step-up): its methods and MFA instant are recorded. */
  async recordMfa(session: LiveSession, auth: Authentication): Promise<void> {
    session.data.methods = auth.methods;
    if (auth.mfaInstant) session.data.mfaInstant = auth.mfaInstant.toISOString();
    await this.store.update(session.id, session.data);
  }

  /** Ends the session; returns what it was, for sign-out cleanup. */
  async end(id: string): Promise<SessionData | undefined> {
    const live = await this.get(id);
    await this.store.delete(id);
    return live?.data;
  }
}
