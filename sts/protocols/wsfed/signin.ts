import type { Request, Response } from 'express';
import type { FormsSignIn } from '../../signin/forms.js';
import type { SsoSessions } from '../../signin/session.js';
import type { SignInRequest } from '../../signin/types.js';
import type { TokenService } from '../../tokens/token-service.js';
import { wsfedRstr } from '../../tokens/wsfed-rstr.js';
import { allowedReply, type RelyingPartyTrust, type TrustRegistry } from '../../trusts/trust.js';
import { autoPostPage } from '../../ui/auto-post.js';
import { sendPage, type Branding } from '../../ui/layout.js';
import { InvalidReply, NoSuchTrust } from '../errors.js';
import type { WsFedMessage } from './message.js';

export interface WsFedDeps {
  trusts: TrustRegistry;
  forms: FormsSignIn;
  sessions: SsoSessions;
  tokens: TokenService;
  branding: Branding;
}

type SignInMessage = Extract<WsFedMessage, { wa: 'wsignin1.0' }>;

/** wsignin1.0, read as its steps: find the trust, check the reply, sign in, issue, post back. */
export async function wsfedSignIn(deps: WsFedDeps, msg: SignInMessage, req: Request, res: Response): Promise<void> {
  const trust = findTrust(deps.trusts, msg.wtrealm);
  const returnTo = checkReply(trust, msg.wreply);
  const signedIn = await deps.forms.authenticate(req, res, signInRequest(msg, trust, returnTo, req.ip ?? ''), resumeUrl(msg));
  if (!signedIn) return;
  const assertion = await deps.tokens.saml11(trust, signedIn.auth, 'wsfed');
  await deps.sessions.addParty(signedIn.session, { identifier: trust.identifier, signOutUrl: trust.signOutUrl });
  postResponse(res, deps.branding, returnTo, { wa: 'wsignin1.0', wresult: wsfedRstr(assertion, trust.identifier), wctx: msg.wctx });
}

/** The login form posts back to /adfs/ls/ with the sign-in message, so it works however it arrived (GET or POST). */
function resumeUrl(msg: SignInMessage): string {
  const { wa, wtrealm, wreply, wctx, whr, wfresh, wauth, username } = msg;
  const params = Object.entries({ wa, wtrealm, wreply, wctx, whr, wfresh, wauth, username }).filter((e): e is [string, string] => e[1] !== undefined);
  return `/adfs/ls/?${new URLSearchParams(params)}`;
}

function findTrust(trusts: TrustRegistry, wtrealm: string): RelyingPartyTrust {
  const trust = trusts.find(wtrealm);
  if (!trust) throw new NoSuchTrust(wtrealm);
  return trust;
}

function checkReply(trust: RelyingPartyTrust, wreply: string | undefined): string {
  const reply = allowedReply(trust, wreply);
  if (!reply) throw new InvalidReply(wreply ?? '');
  return reply;
}

/**
 * ENTRA.md §2.1: wfresh=0 demands a fresh credential (prompt=login), wfresh=N a session at most N
 * minutes old (WS-Fed 1.2 §13.2.2); wauth names the method wanted, where the password URI is
 * satisfied by a forms sign-in and multipleauthn asks for MFA.
 */
function signInRequest(msg: SignInMessage, trust: RelyingPartyTrust, returnTo: string, clientIp: string): SignInRequest {
  const requested = msg.wauth ? [msg.wauth] : [];
  return {
    trust,
    protocol: 'wsfed',
    returnTo,
    fresh: msg.wfresh === '0',
    maxAgeMinutes: msg.wfresh && /^[1-9]\d{0,6}$/.test(msg.wfresh) ? Number(msg.wfresh) : undefined,
    requestedMethods: requested,
    loginHint: msg.username,
    clientIp,
  };
}

/** ENTRA.md §2.2: an auto-submitted form of wa, wresult and wctx (wctx byte for byte). */
function postResponse(res: Response, branding: Branding, action: string, fields: Record<string, string | undefined>): void {
  sendPage(res, autoPostPage(branding, action, fields), { formTargets: [new URL(action).origin] });
}
