import type { Request, Response } from 'express';

/*
 * Every cookie of ours carries the __Host- prefix: the browser then accepts it only Secure, from
 * this host, with Path=/ and no Domain, so a sibling subdomain cannot plant or shadow one (cookie
 * tossing: a login CSRF by an attacker's own session cookie).
 */
const hostOnly = (name: string) => `__Host-${name}`;

/** Reads one of our cookies; a value that is not valid percent-encoding counts as absent. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const wanted = hostOnly(name);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== wanted) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Secure and HttpOnly always; SameSite=None where the cookie must ride a cross-site POST or
 * redirect back from a relying party (the SSO session), Lax or Strict where it need not.
 */
export function setCookie(res: Response, name: string, value: string, opts: { maxAgeMs?: number; sameSite: 'none' | 'strict' | 'lax' }): void {
  res.cookie(hostOnly(name), value, { secure: true, httpOnly: true, sameSite: opts.sameSite, path: '/', ...(opts.maxAgeMs !== undefined ? { maxAge: opts.maxAgeMs } : {}) });
}

export function clearCookie(res: Response, name: string): void {
  res.clearCookie(hostOnly(name), { secure: true, httpOnly: true, sameSite: 'none', path: '/' });
}
