import type { Request, Response } from 'express';

/** Reads one cookie without a parser dependency; first occurrence wins. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Our cookies are Secure and HttpOnly; SameSite=None where the cookie must ride a cross-site POST
 * or redirect back from a relying party (the SSO session), Strict where it never must (CSRF).
 */
export function setCookie(res: Response, name: string, value: string, opts: { maxAgeMs?: number; sameSite: 'none' | 'strict' | 'lax'; path?: string }): void {
  res.cookie(name, value, { secure: true, httpOnly: true, sameSite: opts.sameSite, path: opts.path ?? '/adfs', ...(opts.maxAgeMs !== undefined ? { maxAge: opts.maxAgeMs } : {}) });
}

export function clearCookie(res: Response, name: string, path = '/adfs'): void {
  res.clearCookie(name, { secure: true, httpOnly: true, sameSite: 'none', path });
}
