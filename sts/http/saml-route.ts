import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Audit } from '../../health/audit.js';
import type { SealedValues } from '../../keys/sealing.js';
import { AdfsPath } from '../../metadata/endpoints.js';
import type { CounterStore } from '../../store/types.js';
import { RequestDenied } from '../protocols/errors.js';
import { carriesSamlMessage, readBoundMessage, type OutgoingMessage } from '../protocols/saml2/binding.js';
import { acceptLogoutResponse, finalLogoutResponse, nextLogoutRequest, readSpLogoutRequest, startLogout, type LogoutRun, type LogoutThen } from '../protocols/saml2/logout.js';
import {
  beginIdpInitiated, beginSaml2SignIn, completeSaml2SignIn, resumeSaml2SignIn, SamlStatusError, statusAnswer,
  type Saml2SignIn, type SamlFormPost,
} from '../protocols/saml2/signin.js';
import { trustedMessage } from '../protocols/saml2/trusted-message.js';
import { cleanupUrls } from '../protocols/wsfed/signout.js';
import type { SessionParty, SsoSessions } from '../signin/session.js';
import type { Saml2Tokens } from '../tokens/saml2-tokens.js';
import { StatusCode, type SamlStatus } from '../tokens/saml2-protocol.js';
import type { TrustRegistry } from '../trusts/trust.js';
import { autoPostPage } from '../ui/auto-post.js';
import { idpInitiatedPage } from '../ui/idp-initiated-page.js';
import { sendPage, type Branding } from '../ui/layout.js';
import { signOutPage } from '../ui/signout-page.js';
import type { BrowserSignIn } from './browser-signin.js';
import { clearCookie, readCookie, setCookie } from './cookies.js';
import { protocolErrorPage } from './passive-route.js';
import type { SessionCookie } from './session-cookie.js';

export interface SamlDeps {
  trusts: TrustRegistry;
  signIn: BrowserSignIn;
  sessions: SsoSessions;
  cookie: SessionCookie;
  saml: Saml2Tokens;
  counters: CounterStore;
  /** Seals the sign-in state the login form carries and the logout run the browser carries. */
  signInState: SealedValues;
  logoutState: SealedValues;
  audit: Audit;
  branding: Branding;
  /** The absolute URL of /adfs/ls/, which Destination must name. */
  endpoint: string;
}

const LOGOUT_COOKIE = 'gatehouse_slo';

/** The query parameter of /adfs/ls/ that goes on with the logout run this browser's cookie holds (begun by another protocol). */
const CONTINUE_LOGOUT = 'GatehouseLogout';

/**
 * SAML 2.0 at AD FS's passive endpoint (/adfs/ls/): AuthnRequests and LogoutRequests in either
 * binding, participants' LogoutResponses, and the login form's post-back (SAMLState). The protocol
 * work is sts/protocols/saml2's; this file turns its results into pages, redirects and audit events.
 */
export class SamlEndpoint {
  constructor(private readonly deps: SamlDeps) {}

  /** Whether /adfs/ls/ should hand this request here rather than to WS-Federation. */
  wants(req: Request): boolean {
    return typeof req.query.SAMLState === 'string' || typeof req.query[CONTINUE_LOGOUT] === 'string' || carriesSamlMessage(req);
  }

  async handle(req: Request, res: Response): Promise<void> {
    if (typeof req.query.SAMLState === 'string') {
      return this.signIn(req, res, resumeSaml2SignIn({ trusts: this.deps.trusts, sealed: this.deps.signInState }, req.query.SAMLState, req.ip ?? ''));
    }
    if (typeof req.query[CONTINUE_LOGOUT] === 'string') return this.runLogout(req, res, this.openRun(req));
    const msg = readBoundMessage(req);
    if (msg.kind === 'SAMLResponse') return this.logoutResponse(req, res, msg);
    const trusted = trustedMessage(this.deps.trusts, msg, ['AuthnRequest', 'LogoutRequest']);
    if (trusted.name === 'LogoutRequest') {
      const { trust, request } = await readSpLogoutRequest(this.deps, trusted);
      const ended = await this.deps.cookie.end(req, res);
      const party = ended?.parties.find((p) => p.identifier.toLowerCase() === trust.identifier.toLowerCase());
      const issuer = party?.saml?.issuer ?? this.deps.saml.issuerFor(trust, undefined);
      await this.deps.audit.record({ type: 'signout', outcome: 'success', user: ended?.upn, relyingParty: trust.identifier, clientIp: req.ip, details: { protocol: 'saml2', hadSession: ended !== undefined } });
      const cleanups = cleanupUrls(ended?.parties ?? []);
      return this.runLogout(req, res, startLogout(ended?.parties ?? [], { kind: 'saml', trust: trust.identifier, requestId: request.id, relayState: msg.relayState, issuer }, cleanups));
    }
    let begun: Saml2SignIn;
    try {
      begun = await beginSaml2SignIn({ ...this.deps, sealed: this.deps.signInState }, trusted, msg.relayState, req.ip ?? '');
    } catch (err) {
      if (err instanceof SamlStatusError) return this.refuse(req, res, err.answerTo, err.samlStatus, err.reason);
      throw err;
    }
    return this.signIn(req, res, begun);
  }

  /** The sign-in walk for a checked request; refusals after this point go back to the ACS as a status. */
  private async signIn(req: Request, res: Response, begun: Saml2SignIn): Promise<void> {
    let signedIn;
    try {
      if (begun.state.passive) {
        // Core §3.4.1 IsPassive: no page may be shown; without a usable session the answer is NoPassive.
        signedIn = await this.deps.signIn.passive(req, begun.request);
        if (!signedIn) return this.refuse(req, res, begun, { code: StatusCode.responder, subCode: StatusCode.noPassive }, 'saml-no-passive');
      } else {
        signedIn = await this.deps.signIn.run(req, res, begun.request, begun.resumeUrl);
        if (!signedIn) return;
      }
    } catch (err) {
      if (!(err instanceof RequestDenied)) throw err;
      // Core §3.2.2.2: a method (or MFA) we cannot perform is NoAuthnContext; any other refusal RequestDenied.
      const subCode = err.reason === 'method-unavailable' || err.reason === 'mfa-unavailable' ? StatusCode.noAuthnContext : StatusCode.requestDenied;
      return this.refuse(req, res, begun, { code: StatusCode.responder, subCode }, err.reason);
    }
    const done = await completeSaml2SignIn(this.deps.saml, begun, signedIn.auth);
    await this.deps.sessions.addParty(signedIn.session, {
      identifier: begun.trust.identifier,
      signOutUrl: begun.trust.signOutUrl,
      saml: { nameId: done.nameId.value, nameIdFormat: done.nameId.format, sessionIndex: done.sessionIndex, issuer: done.issuer },
    });
    postForm(res, this.deps.branding, done.post);
  }

  private async refuse(req: Request, res: Response, to: Pick<Saml2SignIn, 'trust' | 'state'>, status: SamlStatus, reason: string): Promise<void> {
    await this.deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason, relyingParty: to.trust.identifier, clientIp: req.ip, details: { protocol: 'saml2', status: status.subCode ?? status.code } });
    postForm(res, this.deps.branding, await statusAnswer(this.deps.saml, to, status));
  }

  /** GET /adfs/ls/idpinitiatedsignon: the list of applications, or with loginToRp= a sign-in to one of them. */
  idpInitiated(ban: RequestHandler): Router {
    const r = Router({ caseSensitive: false });
    r.get([AdfsPath.idpInitiatedSignOn, `${AdfsPath.idpInitiatedSignOn}.aspx`], ban, async (req, res) => {
      const loginToRp = req.query.loginToRp;
      if (typeof loginToRp === 'string') {
        const relayState = typeof req.query.RelayState === 'string' ? req.query.RelayState : undefined;
        return this.signIn(req, res, beginIdpInitiated({ trusts: this.deps.trusts, sealed: this.deps.signInState }, loginToRp, relayState, req.ip ?? ''));
      }
      const parties = this.deps.trusts.all().filter((t) => t.saml?.allowIdpInitiated).map((t) => ({ identifier: t.identifier, name: t.name }));
      sendPage(res, idpInitiatedPage(this.deps.branding, { path: AdfsPath.idpInitiatedSignOn, signOutUrl: `${AdfsPath.passive}?wa=wsignout1.0`, parties }));
    });
    r.use(protocolErrorPage(this.deps));
    return r;
  }

  /**
   * wsignout1.0 (or the IdP's own sign-out) for a session that also has SAML participants: they are
   * logged out one after the other before the sign-out page (with the WS-Fed cleanups) is shown.
   */
  async signOutAll(req: Request, res: Response, parties: SessionParty[], cleanups: URL[], back: string | undefined): Promise<void> {
    return this.runLogout(req, res, startLogout(parties, { kind: 'page', back }, cleanups));
  }

  /**
   * A sign-out another protocol began for an ended session (OpenID Connect RP-initiated logout):
   * the same run as wsignout1.0's — SAML participants one after the other, then the page with the
   * WS-Fed and front-channel cleanup frames — which ends by posting `then`. The run waits in this
   * browser's cookie; the browser goes on at the URL returned.
   */
  beginLogout(res: Response, parties: SessionParty[], cleanups: URL[], then: LogoutThen): string {
    setCookie(res, LOGOUT_COOKIE, this.deps.logoutState.seal(startLogout(parties, { kind: 'page', then }, cleanups)), { sameSite: 'none' });
    return `${AdfsPath.passive}?${CONTINUE_LOGOUT}=1`;
  }

  private openRun(req: Request): LogoutRun {
    const run = this.deps.logoutState.open<LogoutRun>(readCookie(req, LOGOUT_COOKIE));
    if (!run || run.exp < Date.now()) throw new RequestDenied('saml-no-logout-in-progress', 'There is no sign-out in progress in this browser.');
    return run;
  }

  private async logoutResponse(req: Request, res: Response, msg: ReturnType<typeof readBoundMessage>): Promise<void> {
    const run = this.openRun(req);
    acceptLogoutResponse(this.deps.trusts, run, msg, this.deps.endpoint);
    return this.runLogout(req, res, run);
  }

  /** One hop of a logout run: the next participant's LogoutRequest, or the end (the asker's LogoutResponse or the signed-out page). */
  private async runLogout(req: Request, res: Response, run: LogoutRun): Promise<void> {
    const next = await nextLogoutRequest({ trusts: this.deps.trusts, tokens: this.deps.saml }, run);
    if (next) {
      setCookie(res, LOGOUT_COOKIE, this.deps.logoutState.seal(run), { sameSite: 'none' });
      return send(res, this.deps.branding, next);
    }
    clearCookie(res, LOGOUT_COOKIE);
    const cleanups = run.cleanups.map((u) => new URL(u));
    const partial = run.failed.length > 0;
    if (partial) {
      await this.deps.audit.record({ type: 'signout', outcome: 'failure', reason: 'saml-partial-logout', clientIp: req.ip, relyingParty: run.origin.kind === 'saml' ? run.origin.trust : undefined, details: { protocol: 'saml2', notLoggedOut: run.failed.join(' ') } });
    }
    const frameTargets = [...new Set(cleanups.map((u) => u.origin))];
    const final = await finalLogoutResponse({ trusts: this.deps.trusts, tokens: this.deps.saml }, run);
    if (final && cleanups.length === 0) return send(res, this.deps.branding, final);
    const back = run.origin.kind === 'page' ? run.origin.back : final?.binding === 'redirect' ? final.url : undefined;
    const then = run.origin.kind === 'page' ? run.origin.then : undefined;
    const post = final?.binding === 'post' ? { action: final.action, fields: final.fields } : then;
    const formTargets = then ? then.formTargets : post ? [new URL(post.action).origin] : undefined;
    sendPage(res, signOutPage(this.deps.branding, { cleanups, back, post, partial }), { frameTargets, ...(formTargets ? { formTargets } : {}) });
  }
}

function send(res: Response, branding: Branding, msg: OutgoingMessage): void {
  if (msg.binding === 'redirect') {
    res.set('Cache-Control', 'no-store').redirect(302, msg.url);
    return;
  }
  postForm(res, branding, msg);
}

/** The auto-submitted form; the page's CSP allows a form post to that origin only. */
function postForm(res: Response, branding: Branding, post: SamlFormPost): void {
  sendPage(res, autoPostPage(branding, post.action, post.fields), { formTargets: [new URL(post.action).origin] });
}
