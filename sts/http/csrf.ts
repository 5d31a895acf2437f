import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { CounterStore } from '../../store/types.js';
import { readCookie, setCookie } from './cookies.js';

const COOKIE = 'gatehouse_csrf';
const FIELD = 'csrf_token';
const TOKEN_LIFETIME_MS = 30 * 60_000;

/**
 * CSRF for our own forms: a double-submit token bound to a per-browser cookie by an HMAC, and
 * single-use (the nonce goes into the replay cache), so a captured or replayed form post fails.
 */
export class Csrf {
  readonly field = FIELD;

  constructor(
    private readonly key: Buffer,
    private readonly replay: CounterStore,
  ) {}

  /** A fresh token for a form about to be rendered; sets the browser cookie when missing. */
  issue(req: Request, res: Response): string {
    // A page may carry several tokens (the login form and the certificate link): one new cookie per response.
    let browser = (res.locals.csrfBrowser as string | undefined) ?? readCookie(req, COOKIE);
    if (!browser || !/^[A-Za-z0-9_-]{43}$/.test(browser)) {
      browser = randomBytes(32).toString('base64url');
      res.locals.csrfBrowser = browser;
      // Lax: the login form is reached by a top-level redirect from the relying party.
      setCookie(res, COOKIE, browser, { sameSite: 'lax' });
    }
    const nonce = `${Date.now().toString(36)}.${randomBytes(16).toString('base64url')}`;
    return `${nonce}.${this.mac(browser, nonce)}`;
  }

  /** True once for a token issued to this browser within its lifetime. */
  async verify(req: Request, token: unknown, now = Date.now()): Promise<boolean> {
    const browser = readCookie(req, COOKIE);
    if (!browser || typeof token !== 'string') return false;
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    const [time, random, mac] = parts as [string, string, string];
    const nonce = `${time}.${random}`;
    const expected = Buffer.from(this.mac(browser, nonce));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    const issuedAt = parseInt(time, 36);
    if (!(issuedAt <= now && now - issuedAt < TOKEN_LIFETIME_MS)) return false;
    return this.replay.useOnce(`csrf:${nonce}`, new Date(issuedAt + TOKEN_LIFETIME_MS), new Date(now));
  }

  private mac(browser: string, nonce: string): string {
    return createHmac('sha256', this.key).update(`${browser}|${nonce}`).digest('base64url');
  }
}
