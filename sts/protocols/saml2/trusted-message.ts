import { createHash } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { DSIG_NS } from '../../../xml/dsig.js';
import { parseXml, XmlRejected } from '../../../xml/parse.js';
import { SignatureRejected, verifyDetached, verifyEnveloped } from '../../../xml/verify.js';
import type { CounterStore } from '../../../store/types.js';
import { SAMLP_NS } from '../../tokens/saml2-protocol.js';
import type { RelyingPartyTrust, SamlTrustSettings, TrustRegistry } from '../../trusts/trust.js';
import { BadRequest, NoSuchTrust, RequestDenied } from '../errors.js';
import { MAX_SAML_MESSAGE_BYTES, type BoundMessage } from './binding.js';
import { issuerOf } from './messages.js';

export type SamlMessageName = 'AuthnRequest' | 'LogoutRequest' | 'LogoutResponse';

/** A message whose sender is a SAML trust and whose signature, if any, that trust's key made. */
export interface TrustedMessage {
  name: SamlMessageName;
  /** The root to read from: the signed element itself when the XML was signed (xml/verify.ts). */
  root: Element;
  trust: RelyingPartyTrust;
  saml: SamlTrustSettings;
  signed: boolean;
}

/** Clock difference tolerated on IssueInstant (WCF's and AD FS's 5 minutes, as for WS-Trust). */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** A request is answered at most this long after it was issued, so the replay cache needs to remember an ID only that long. */
export const MAX_REQUEST_AGE_MS = 10 * 60_000;

function xmlError(err: unknown): never {
  if (err instanceof XmlRejected) throw new BadRequest(`saml-xml-${err.reason}`, 'The SAML message is not acceptable XML.');
  if (err instanceof SignatureRejected) throw new RequestDenied(`saml-signature-${err.reason}`, 'The SAML message’s signature is not valid for this application.');
  throw err;
}

/**
 * The steps every incoming SAML message takes before anything in it counts (ARCHITECTURE.md "XML
 * and signatures"): hardened parse, the expected root, the Issuer's trust, then the signature —
 * the Redirect binding's over the query, or an enveloped one verified by the recipe with the
 * trust's configured keys only — and from then on only the signed element is read.
 */
export function trustedMessage(trusts: TrustRegistry, msg: BoundMessage, names: readonly SamlMessageName[]): TrustedMessage {
  let root: Element;
  try {
    root = parseXml(msg.xml, { maxBytes: MAX_SAML_MESSAGE_BYTES }).documentElement as Element;
  } catch (err) {
    xmlError(err);
  }
  const name = names.find((n) => root.namespaceURI === SAMLP_NS && root.localName === n);
  if (!name) throw new BadRequest('saml-unsupported-message', 'This SAML message is not one this service accepts here.');
  const issuer = issuerOf(root);
  const trust = trusts.find(issuer);
  if (!trust?.saml) throw new NoSuchTrust(issuer);
  const saml = trust.saml;
  const keys = saml.signingCertificates;
  const hasEnveloped = root.getElementsByTagNameNS(DSIG_NS, 'Signature').length > 0;
  try {
    if (msg.redirectSignature) {
      if (keys.length === 0) throw new SignatureRejected('invalid', 'no certificate is configured for this party');
      verifyDetached(msg.redirectSignature.signedOctets, msg.redirectSignature.sigAlg, msg.redirectSignature.signature, { keys, allowSha1: saml.allowSha1 });
      return { name, root, trust, saml, signed: true };
    }
    if (hasEnveloped) {
      if (keys.length === 0) throw new SignatureRejected('invalid', 'no certificate is configured for this party');
      const verified = verifyEnveloped(msg.xml, { expect: { ns: SAMLP_NS, name }, keys, allowSha1: saml.allowSha1, idAttribute: 'ID', maxBytes: MAX_SAML_MESSAGE_BYTES });
      return { name, root: verified.root, trust, saml, signed: true };
    }
  } catch (err) {
    xmlError(err);
  }
  if (saml.requireSignedRequests) throw new RequestDenied('saml-unsigned-request', 'This application must sign its SAML requests.');
  return { name, root, trust, saml, signed: false };
}

/**
 * Bindings §3.4.5.2 / §3.5.5.2: a signed message must name where it was sent, and any message that
 * names it must name us; AD FS's endpoint with or without its trailing slash.
 */
export function checkDestination(destination: string | undefined, signed: boolean, endpoint: string): void {
  if (destination === undefined) {
    if (signed) throw new BadRequest('saml-destination', 'The signed SAML message does not name its destination.');
    return;
  }
  if (destination !== endpoint && destination !== endpoint.replace(/\/$/, '')) throw new BadRequest('saml-destination', 'The SAML message was addressed to another service.');
}

/**
 * The replay cache of request IDs in the store (issue [C] item 4), per sender: a request is
 * accepted once, and only while fresh, so an ID is remembered no longer than it could pass.
 */
export async function checkFresh(counters: CounterStore, m: { issuer: string; id: string; issueInstant: Date }, now = new Date()): Promise<void> {
  const t = now.getTime();
  const issued = m.issueInstant.getTime();
  if (issued > t + CLOCK_SKEW_MS) throw new BadRequest('saml-issued-in-future', 'The SAML message is dated in the future.');
  if (t - issued > MAX_REQUEST_AGE_MS + CLOCK_SKEW_MS) throw new BadRequest('saml-expired', 'The SAML message is too old.');
  const key = createHash('sha256').update(`${m.issuer}\n${m.id}`).digest('base64url');
  if (!(await counters.useOnce(`saml-request:${key}`, new Date(t + MAX_REQUEST_AGE_MS + 2 * CLOCK_SKEW_MS), now))) {
    throw new BadRequest('saml-replayed-request', 'This SAML request was already used.');
  }
}
