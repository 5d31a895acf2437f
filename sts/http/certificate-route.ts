import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { TLSSocket } from 'node:tls';
import type { DetailedPeerCertificate } from 'node:tls';
import type { Audit } from '../../health/audit.js';
import type { CertificateValidator, PresentedChain } from '../../keys/certificate-validation.js';
import { thumbprintOf } from '../../keys/certificate.js';
import { autoPostPage } from '../ui/auto-post.js';
import { escapeHtml } from '../ui/html.js';
import { sendPage, type Branding } from '../ui/layout.js';
import { messagePage } from '../ui/message-page.js';
import { certificateRefusalText } from '../ui/texts.js';
import { HOP_PARAM, type CertificateHop } from './certificate-hop.js';

export const CERTIFICATE_PATH = '/adfs/certauth';

/**
 * The client's chain as the handshake verified it, leaf first: node links each certificate to its
 * issuer (from the client's chain or the configured CAs), a self-signed root to itself.
 */
export function presentedChain(socket: TLSSocket): PresentedChain {
  const chain: Buffer[] = [];
  let cert = socket.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
  while (cert && 'raw' in cert && cert.raw && chain.length < 10) {
    chain.push(cert.raw);
    const next = cert.issuerCertificate;
    if (!next || next === cert || next.raw?.equals(cert.raw)) break;
    cert = next;
  }
  const tlsError = socket.authorized ? undefined : socket.authorizationError ? String(socket.authorizationError) : undefined;
  return { chain, tlsError };
}

/**
 * The certificate listener's one page (AD FS certauth, port 49443): the handshake has asked for a
 * client certificate; the hop says which sign-in it is for. A valid certificate goes back to the
 * main listener in a sealed, single-use form post; any refusal is a page saying why, with the way
 * back to the login page, and an audit event.
 */
export function certificateRouter(deps: { hop: CertificateHop; validator: CertificateValidator; audit: Audit; branding: Branding; csrfField: string; guard: RequestHandler }): Router {
  const r = Router();
  // The main listener's per-address bounds (sts/http/rate-limit.ts): a banned address gets no
  // sign-in by certificate either (AD FS BannedIpList), and a flood of handshakes, each costing a
  // chain check and perhaps a CRL or OCSP fetch, is slowed like one of passwords.
  r.get(CERTIFICATE_PATH, deps.guard, async (req: Request, res: Response) => {
    const texts = deps.branding.texts;
    const hop = deps.hop.openHop(req.query[HOP_PARAM]);
    if (!hop) {
      await deps.audit.record({ type: 'request.rejected', outcome: 'failure', reason: 'certificate-hop', clientIp: req.ip, details: { method: 'certificate' } });
      sendPage(res, messagePage(deps.branding, { title: texts['certificate.title'], message: texts['certificate.expired'], reference: 'certificate-hop' }), { status: 400 });
      return;
    }
    const presented = presentedChain(req.socket as TLSSocket);
    const check = await deps.validator.validate(presented);
    const leaf = presented.chain[0];
    const thumbprint = leaf ? thumbprintOf(leaf) : undefined;
    if (!check.ok) {
      await deps.audit.record({
        type: 'signin',
        outcome: 'failure',
        user: thumbprint ? `certificate:${thumbprint}` : undefined,
        clientIp: req.ip,
        reason: check.reason,
        details: { method: 'certificate', ...(check.detail ? { detail: check.detail } : {}) },
      });
      const back = `<p><a id="backToSignIn" href="${escapeHtml(deps.hop.mainOrigin + hop.resume)}">${escapeHtml(texts['certificate.backToSignIn'])}</a></p>`;
      if (check.reason === 'revocation-unavailable') res.set('Retry-After', '30');
      sendPage(res, messagePage(deps.branding, { title: texts['certificate.title'], message: certificateRefusalText(texts, check.reason), reference: check.reason, extra: back }), { status: check.reason === 'revocation-unavailable' ? 503 : 403 });
      return;
    }
    const post = deps.hop.answer(hop, check.der, check.revocation, deps.csrfField);
    sendPage(res, autoPostPage(deps.branding, post.action, post.fields), { formTargets: [deps.hop.mainOrigin] });
  });
  return r;
}
