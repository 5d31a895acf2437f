import type { Authentication, SignInRequest } from '../../signin/types.js';
import type { TokenService } from '../../tokens/token-service.js';
import { allowedReply, type RelyingPartyTrust, type TrustRegistry } from '../../trusts/trust.js';
import { AdfsPath } from '../../../metadata/endpoints.js';
import { InvalidReply, NoSuchTrust } from '../errors.js';
import { wsfedRstr } from '../wstrust/rstr.js';
import type { WsFedMessage } from './message.js';

type SignInMessage = Extract<WsFedMessage, { wa: 'wsignin1.0' }>;

/** A wsignin1.0 read and checked: the neutral request for the sign-in flow, and where its login form posts back. */
export interface WsFedSignIn {
  msg: SignInMessage;
  trust: RelyingPartyTrust;
  request: SignInRequest;
  resumeUrl: string;
}

/** An HTML form POST to the relying party (ENTRA.md §2.2: wa, wresult and wctx to the reply URL). */
export interface FormPost {
  action: string;
  fields: Record<string, string | undefined>;
}

/** wsignin1.0, its first steps: find the trust, check the reply, name what the sign-in must satisfy. */
export function beginWsFedSignIn(trusts: TrustRegistry, msg: SignInMessage, clientIp: string): WsFedSignIn {
  const trust = findTrust(trusts, msg.wtrealm);
  const returnTo = checkReply(trust, msg.wreply);
  return { msg, trust, request: signInRequest(msg, trust, returnTo, clientIp), resumeUrl: resumeUrl(msg) };
}

/** Its last steps, once the user is authenticated: issue the token and post it back, wctx byte for byte. */
export async function completeWsFedSignIn(tokens: TokenService, begun: WsFedSignIn, auth: Authentication): Promise<FormPost> {
  const assertion = await tokens.saml11(begun.trust, auth, 'wsfed');
  return {
    action: begun.request.returnTo,
    fields: { wa: 'wsignin1.0', wresult: wsfedRstr(assertion, begun.trust.identifier), wctx: begun.msg.wctx },
  };
}

/** The login form posts back to /adfs/ls/ with the sign-in message, so it works however it arrived (GET or POST). */
function resumeUrl(msg: SignInMessage): string {
  const { wa, wtrealm, wreply, wctx, whr, wfresh, wauth, prompt, username } = msg;
  const params = Object.entries({ wa, wtrealm, wreply, wctx, whr, wfresh, wauth, prompt, username }).filter((e): e is [string, string] => e[1] !== undefined);
  return `${AdfsPath.passive}?${new URLSearchParams(params)}`;
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
 * ENTRA.md §2.1: wfresh=0 demands a fresh credential, and so does prompt=login, which Entra sends
 * instead when the domain's promptLoginBehavior is nativeSupport (AD FS 2016 honours it the same
 * way); wfresh=N wants a session at most N minutes old (WS-Fed 1.2 §13.2.2); wauth names the method
 * wanted, where the password URI is satisfied by a forms sign-in and multipleauthn asks for MFA.
 */
function signInRequest(msg: SignInMessage, trust: RelyingPartyTrust, returnTo: string, clientIp: string): SignInRequest {
  const requested = msg.wauth ? [msg.wauth] : [];
  return {
    trust,
    protocol: 'wsfed',
    returnTo,
    fresh: msg.wfresh === '0' || msg.prompt === 'login',
    maxAgeMinutes: msg.wfresh && /^[1-9]\d{0,6}$/.test(msg.wfresh) ? Number(msg.wfresh) : undefined,
    requestedMethods: requested,
    loginHint: msg.username,
    clientIp,
  };
}
