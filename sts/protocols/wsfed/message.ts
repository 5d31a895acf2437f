import type { Request } from 'express';
import { BadRequest } from '../errors.js';

/** The WS-Federation passive parameters we act on (WS-Fed 1.2 §13.2; MS-MWBF 2.2.3). */
export type WsFedMessage =
  | { wa: 'wsignin1.0'; wtrealm: string; wreply?: string; wctx?: string; whr?: string; wfresh?: string; wauth?: string; prompt?: string; username?: string }
  | { wa: 'wsignout1.0'; wtrealm?: string; wreply?: string }
  | { wa: 'wsignoutcleanup1.0'; wreply?: string };

/** Entra's wctx is long (ENTRA.md §2.1); anything far beyond is an attack, not a sign-in. */
const MAX_PARAM = 8192;

function param(req: Request, name: string): string | undefined {
  const fromQuery = req.query[name];
  const fromBody = (req.body as Record<string, unknown> | undefined)?.[name];
  const v = fromQuery ?? fromBody;
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BadRequest('malformed-parameter', `The parameter ${name} is given more than once.`);
  if (v.length > MAX_PARAM) throw new BadRequest('oversize-parameter', `The parameter ${name} is too long.`);
  return v;
}

/** Reads a WS-Fed message from the query (GET) or form (POST), as AD FS accepts both. */
export function readWsFedMessage(req: Request): WsFedMessage {
  const wa = param(req, 'wa');
  const wreply = param(req, 'wreply');
  const opt = (k: string, v: string | undefined) => (v === undefined ? {} : { [k]: v });
  switch (wa) {
    case 'wsignin1.0': {
      const wtrealm = param(req, 'wtrealm');
      if (!wtrealm) throw new BadRequest('missing-wtrealm', 'The sign-in request does not name the application (wtrealm).');
      return {
        wa,
        wtrealm,
        ...opt('wreply', wreply),
        ...opt('wctx', param(req, 'wctx')),
        ...opt('whr', param(req, 'whr')),
        ...opt('wfresh', param(req, 'wfresh')),
        ...opt('wauth', param(req, 'wauth')),
        // Not WS-Fed: Entra passes an app's prompt=login through as is when the domain's promptLoginBehavior is nativeSupport (ENTRA.md §2.1).
        ...opt('prompt', param(req, 'prompt')),
        ...opt('username', param(req, 'username') ?? param(req, 'login_hint')),
      };
    }
    case 'wsignout1.0':
      return { wa, ...opt('wtrealm', param(req, 'wtrealm')), ...opt('wreply', wreply) };
    case 'wsignoutcleanup1.0':
      return { wa, ...opt('wreply', wreply) };
    default:
      throw new BadRequest('unsupported-wa', 'The request is not a WS-Federation sign-in or sign-out.');
  }
}
