import type { Request, Response } from 'express';
import type { Audit } from '../../../health/audit.js';
import type { SsoSessions } from '../../signin/session.js';
import { allowedReply, type TrustRegistry } from '../../trusts/trust.js';
import { escapeHtml } from '../../ui/html.js';
import { sendPage, type Branding } from '../../ui/layout.js';
import { messagePage } from '../../ui/message-page.js';
import type { WsFedMessage } from './message.js';

export interface WsFedSignOutDeps {
  trusts: TrustRegistry;
  sessions: SsoSessions;
  audit: Audit;
  branding: Branding;
}

/**
 * wsignout1.0: end the SSO session, then have the browser send wsignoutcleanup1.0 to every relying
 * party that got a token in it (MS-MWBF practice, as AD FS does with iframes). The page links back
 * only to a wreply registered for the trust that asked.
 */
export async function wsfedSignOut(deps: WsFedSignOutDeps, msg: Extract<WsFedMessage, { wa: 'wsignout1.0' }>, req: Request, res: Response): Promise<void> {
  const ended = await deps.sessions.end(req, res);
  const trust = msg.wtrealm ? deps.trusts.find(msg.wtrealm) : undefined;
  const back = trust && msg.wreply ? allowedReply(trust, msg.wreply) : undefined;
  const cleanups = (ended?.parties ?? []).map((p) => {
    const u = new URL(p.signOutUrl);
    u.searchParams.set('wa', 'wsignoutcleanup1.0');
    return u;
  });
  await deps.audit.record({
    type: 'signout',
    outcome: 'success',
    user: ended?.upn,
    relyingParty: trust?.identifier,
    clientIp: req.ip,
    details: { parties: cleanups.length, hadSession: ended !== undefined },
  });
  const t = deps.branding.texts;
  const frames = cleanups.map((u) => `<iframe class="cleanup" title="${escapeHtml(t['signout.frame'])} ${escapeHtml(u.host)}" src="${escapeHtml(u.href)}"></iframe>`).join('\n');
  const link = back ? `<p><a id="continue" href="${escapeHtml(back)}">${escapeHtml(t['signout.continue'])}</a></p>` : '';
  const page = messagePage(deps.branding, { title: t['signout.title'], message: t['signout.message'], extra: `${frames}\n${link}` });
  sendPage(res, page, { frameTargets: [...new Set(cleanups.map((u) => u.origin))] });
}

/** wsignoutcleanup1.0 from a relying party: end our session quietly (AD FS answers with an image). */
export async function wsfedSignOutCleanup(deps: WsFedSignOutDeps, req: Request, res: Response): Promise<void> {
  const ended = await deps.sessions.end(req, res);
  if (ended) await deps.audit.record({ type: 'signout', outcome: 'success', user: ended.upn, clientIp: req.ip, details: { cleanup: true } });
  res.status(200).set('Cache-Control', 'no-store').type('text/plain').send('signed out');
}
