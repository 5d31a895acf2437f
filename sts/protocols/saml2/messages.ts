import type { Element } from '@xmldom/xmldom';
import { booleanAttribute, childElements, optionalChild, textOf } from '../../../xml/parse.js';
import { SAML2_NS } from '../../tokens/saml2-assertion.js';
import { SAMLP_NS } from '../../tokens/saml2-protocol.js';
import { BadRequest } from '../errors.js';

/** What Gatehouse reads of an AuthnRequest (SAML Core §3.4.1), from its signed content only. */
export interface AuthnRequestMessage {
  id: string;
  issueInstant: Date;
  issuer: string;
  destination?: string | undefined;
  acsUrl?: string | undefined;
  acsIndex?: number | undefined;
  protocolBinding?: string | undefined;
  forceAuthn: boolean;
  isPassive: boolean;
  nameIdFormat?: string | undefined;
  requestedAuthnContext?: { comparison: 'exact' | 'minimum' | 'maximum' | 'better'; classRefs: string[] } | undefined;
}

export interface LogoutRequestMessage {
  id: string;
  issueInstant: Date;
  issuer: string;
  destination?: string | undefined;
  nameId: string;
  sessionIndexes: string[];
}

export interface LogoutResponseMessage {
  id: string;
  issuer: string;
  inResponseTo?: string | undefined;
  destination?: string | undefined;
  statusCode: string;
}

const ID = /^[A-Za-z_][A-Za-z0-9._-]{0,255}$/;
// xs:dateTime in UTC as SAML requires (Core §1.3.3); fractional seconds allowed.
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

const bad = (what: string) => new BadRequest('saml-malformed', `The SAML message has no valid ${what}.`);

function attr(el: Element, name: string): string | undefined {
  return el.getAttributeNode(name) ? el.getAttribute(name) ?? undefined : undefined;
}

function commonFields(root: Element): { id: string; issueInstant: Date } {
  const id = attr(root, 'ID') ?? '';
  if (!ID.test(id)) throw bad('ID');
  if (attr(root, 'Version') !== '2.0') throw new BadRequest('saml-version', 'Only SAML 2.0 messages are accepted.');
  const instant = attr(root, 'IssueInstant') ?? '';
  if (!UTC_TIME.test(instant) || Number.isNaN(Date.parse(instant))) throw bad('IssueInstant');
  return { id, issueInstant: new Date(instant) };
}

/** The message's saml:Issuer (Core §3.2.1): the entity that sent it, the key to its trust. */
export function issuerOf(root: Element): string {
  const el = optionalChild(root, SAML2_NS, 'Issuer');
  const value = el ? textOf(el).trim() : '';
  if (!value) throw new BadRequest('saml-no-issuer', 'The SAML message does not name its sender (Issuer).');
  return value;
}

export function readAuthnRequest(root: Element): AuthnRequestMessage {
  const { id, issueInstant } = commonFields(root);
  const index = attr(root, 'AssertionConsumerServiceIndex');
  if (index !== undefined && !/^\d{1,5}$/.test(index)) throw bad('AssertionConsumerServiceIndex');
  const policy = optionalChild(root, SAMLP_NS, 'NameIDPolicy');
  const context = optionalChild(root, SAMLP_NS, 'RequestedAuthnContext');
  let requestedAuthnContext: AuthnRequestMessage['requestedAuthnContext'];
  if (context) {
    const comparison = attr(context, 'Comparison') ?? 'exact';
    if (!['exact', 'minimum', 'maximum', 'better'].includes(comparison)) throw bad('RequestedAuthnContext Comparison');
    const classRefs = childElements(context, SAML2_NS, 'AuthnContextClassRef').map((e) => textOf(e).trim());
    // Core §3.3.2.2.1: a declaration reference instead is legal but names nothing we perform.
    requestedAuthnContext = { comparison: comparison as 'exact', classRefs: classRefs.length > 0 ? classRefs : ['(AuthnContextDeclRef)'] };
  }
  return {
    id,
    issueInstant,
    issuer: issuerOf(root),
    destination: attr(root, 'Destination'),
    acsUrl: attr(root, 'AssertionConsumerServiceURL'),
    acsIndex: index === undefined ? undefined : Number(index),
    protocolBinding: attr(root, 'ProtocolBinding'),
    forceAuthn: booleanAttribute(root, null, 'ForceAuthn') ?? false,
    isPassive: booleanAttribute(root, null, 'IsPassive') ?? false,
    nameIdFormat: policy ? attr(policy, 'Format') : undefined,
    requestedAuthnContext,
  };
}

export function readLogoutRequest(root: Element): LogoutRequestMessage {
  const { id, issueInstant } = commonFields(root);
  const nameId = optionalChild(root, SAML2_NS, 'NameID');
  if (!nameId) throw bad('NameID');
  return {
    id,
    issueInstant,
    issuer: issuerOf(root),
    destination: attr(root, 'Destination'),
    nameId: textOf(nameId).trim(),
    sessionIndexes: childElements(root, SAMLP_NS, 'SessionIndex').map((e) => textOf(e).trim()),
  };
}

export function readLogoutResponse(root: Element): LogoutResponseMessage {
  const { id } = commonFields(root);
  const status = optionalChild(root, SAMLP_NS, 'Status');
  const code = status && optionalChild(status, SAMLP_NS, 'StatusCode');
  if (!code) throw bad('Status');
  return { id, issuer: issuerOf(root), inResponseTo: attr(root, 'InResponseTo'), destination: attr(root, 'Destination'), statusCode: attr(code, 'Value') ?? '' };
}
