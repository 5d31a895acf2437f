import type { CounterStore } from '../../../store/types.js';
import type { SignInPipeline } from '../../signin/pipeline.js';
import type { Authentication, SignInRequest } from '../../signin/types.js';
import type { TokenService } from '../../tokens/token-service.js';
import type { Saml11Assertion } from '../../tokens/saml11-assertion.js';
import type { RelyingPartyTrust, TrustRegistry } from '../../trusts/trust.js';
import { BadRequest, NoSuchTrust, RequestDenied } from '../errors.js';
import { parseRst, type RstMessage } from './envelope.js';
import { FailedAuthentication } from './faults.js';
import { checkNonce, checkTimestamp } from './freshness.js';
import type { UsernameEndpoint } from './versions.js';

export interface WsTrustDeps {
  trusts: TrustRegistry;
  pipeline: SignInPipeline;
  tokens: TokenService;
  /** The replay cache for UsernameToken nonces. */
  counters: CounterStore;
  /** `server.publicUrl`: wsa:To must name our endpoint at this address. */
  publicUrl: string;
}

export interface IssueInput {
  endpoint: UsernameEndpoint;
  body: Uint8Array;
  clientIp: string;
  now: Date;
}

export interface Issued {
  msg: RstMessage;
  trust: RelyingPartyTrust;
  assertion: Saml11Assertion;
}

/**
 * A username/password RST, read as its steps (the WS-Fed adapter's shape): parse the envelope,
 * check it is fresh and meant for us, find the trust, check its policy, authenticate through the
 * sign-in pipeline, issue the token. Each step throws the ProtocolError its fault is made from.
 * `onParsed` hands the MessageID to the caller as soon as it is known, so faults can relate to it.
 */
export async function issueForPassword(deps: WsTrustDeps, input: IssueInput, onParsed: (msg: RstMessage) => void): Promise<Issued> {
  const msg = parseRst(input.body, input.endpoint);
  onParsed(msg);
  checkAddressedToUs(msg, deps.publicUrl, input.endpoint);
  checkTimestamp(msg, input.now);
  await checkNonce(msg, input.now, deps.counters);
  const trust = findTrust(deps.trusts, msg.appliesTo);
  checkPolicy(trust, deps.pipeline.insideCorporateNetwork(input.clientIp));
  const auth = await authenticate(deps.pipeline, signInRequest(trust, input.clientIp), msg);
  const assertion = await deps.tokens.saml11(trust, auth, 'wstrust', input.now);
  return { msg, trust, assertion };
}

/** WS-Addressing 1.0 §3.2: wsa:To, when sent, must be this endpoint at our public address. */
function checkAddressedToUs(msg: RstMessage, publicUrl: string, endpoint: UsernameEndpoint): void {
  if (msg.to === undefined) return;
  let to: URL;
  try {
    to = new URL(msg.to);
  } catch {
    throw new BadRequest('wrong-to');
  }
  if (to.href.replace(/\/$/, '') !== new URL(endpoint.path, publicUrl).href) throw new BadRequest('wrong-to');
}

function findTrust(trusts: TrustRegistry, appliesTo: string): RelyingPartyTrust {
  const trust = trusts.find(appliesTo);
  if (!trust) throw new NoSuchTrust(appliesTo);
  return trust;
}

/**
 * AD FS's switches for rich clients (issue [D] item 2): per trust, and from the extranet. Checked
 * before the password, so a denied request never counts towards an AD lockout.
 */
function checkPolicy(trust: RelyingPartyTrust, insideCorporateNetwork: boolean): void {
  if (!trust.allowWsTrust) throw new RequestDenied('wstrust-not-allowed', 'This application does not accept sign-in from rich clients.');
  if (!trust.allowWsTrustFromExtranet && !insideCorporateNetwork) {
    throw new RequestDenied('wstrust-extranet-denied', 'This application does not accept sign-in from rich clients outside the corporate network.');
  }
}

/** No page, no SSO session and no method choice: a password, checked like the login form's. */
function signInRequest(trust: RelyingPartyTrust, clientIp: string): SignInRequest {
  return { trust, protocol: 'wstrust', returnTo: trust.identifier, fresh: true, requestedMethods: [], clientIp };
}

/** The pipeline audits the outcome; every failure becomes the same fault (ENTRA.md §6.4). */
async function authenticate(pipeline: SignInPipeline, req: SignInRequest, msg: RstMessage): Promise<Authentication> {
  const outcome = await pipeline.run(req, { kind: 'password', username: msg.username, password: msg.password, persistent: false });
  switch (outcome.kind) {
    case 'authenticated':
      return outcome.auth;
    case 'denied':
      // MFA policy applies here too, but a SOAP client has no page for a second factor: AD FS refuses it.
      if (outcome.reason === 'mfa-required') throw new RequestDenied('mfa-required', 'This application needs multi-factor authentication, which rich clients cannot provide here.');
      throw new FailedAuthentication(outcome.reason);
    case 'needs-credentials':
      throw new FailedAuthentication(outcome.error ?? 'no-credentials');
    default:
      throw new FailedAuthentication(outcome.kind === 'needs-password-change' ? outcome.reason : outcome.kind);
  }
}
