import type { SessionParty } from '../../signin/session.js';
import { allowedReply, type TrustRegistry } from '../../trusts/trust.js';
import type { WsFedMessage } from './message.js';

/** What a wsignout1.0 asks of the browser: the cleanup URL of each party, and where to go back. */
export interface WsFedSignOut {
  trustIdentifier?: string | undefined;
  cleanups: URL[];
  back?: string | undefined;
}

/**
 * wsignout1.0: every relying party that got a token in the ended session gets wsignoutcleanup1.0
 * (MS-MWBF practice, as AD FS does with iframes); the way back is only a wreply registered for the
 * trust that asked.
 */
export function wsfedSignOut(trusts: TrustRegistry, msg: Extract<WsFedMessage, { wa: 'wsignout1.0' }>, parties: SessionParty[]): WsFedSignOut {
  const trust = msg.wtrealm ? trusts.find(msg.wtrealm) : undefined;
  const back = trust && msg.wreply ? allowedReply(trust, msg.wreply) : undefined;
  return { trustIdentifier: trust?.identifier, cleanups: cleanupUrls(parties), back };
}

/**
 * The frame URL of each party the browser cleans up: a WS-Fed party's with wsignoutcleanup1.0, an
 * OpenID Connect client's front-channel logout URI as registered (Front-Channel Logout 1.0 §2: it
 * already carries iss). SAML participants get a LogoutRequest instead (sts/protocols/saml2/logout.ts).
 */
export function cleanupUrls(parties: SessionParty[]): URL[] {
  return parties.filter((p) => !p.saml).map((p) => {
    const u = new URL(p.signOutUrl);
    if (!p.frontChannel) u.searchParams.set('wa', 'wsignoutcleanup1.0');
    return u;
  });
}
