import { randomUUID } from 'node:crypto';
import type { SignatureAlgorithm, Signer } from '../../keys/signer.js';
import { signEnveloped } from '../../xml/sign.js';
import { namespace, XmlWriter, type WrittenXml } from '../../xml/writer.js';
import { SAML2 } from './saml2-assertion.js';
import { samlTime } from './saml11-assertion.js';

export const SAMLP_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAMLP = namespace('samlp', SAMLP_NS);

/** SAML Core §3.2.2.2 status codes Gatehouse answers with. */
export const StatusCode = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
  noAuthnContext: 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
  partialLogout: 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout',
  requestUnsupported: 'urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported',
} as const;

export interface SamlStatus {
  code: string;
  /** A second-level code (Core §3.2.2.2), e.g. NoPassive under Responder, PartialLogout under Success. */
  subCode?: string | undefined;
  message?: string | undefined;
}

export interface ProtocolMessageInput {
  issuer: string;
  destination: string;
  inResponseTo?: string | undefined;
  issueInstant?: Date;
  signing?: { signer: Signer; algorithm: SignatureAlgorithm } | undefined;
}

async function finish(w: XmlWriter, signing: ProtocolMessageInput['signing']): Promise<WrittenXml> {
  const doc = w.end().finish();
  return signing ? signEnveloped(doc, { signer: signing.signer, algorithm: signing.algorithm, idAttribute: 'ID' }) : doc;
}

/** Opens a StatusResponseType message (Core §3.2.2): Issuer, the signature slot, Status. */
function statusResponse(name: string, input: ProtocolMessageInput, status: SamlStatus): XmlWriter {
  const w = new XmlWriter().start(SAMLP, name, {
    Destination: input.destination,
    ID: `_${randomUUID()}`,
    InResponseTo: input.inResponseTo,
    IssueInstant: samlTime(input.issueInstant ?? new Date()),
    Version: '2.0',
  });
  w.leaf(SAML2, 'Issuer', input.issuer);
  if (input.signing) w.signatureHere();
  w.start(SAMLP, 'Status').start(SAMLP, 'StatusCode', { Value: status.code });
  if (status.subCode) w.leaf(SAMLP, 'StatusCode', '', { Value: status.subCode });
  w.end();
  if (status.message) w.leaf(SAMLP, 'StatusMessage', status.message);
  return w.end();
}

/** samlp:Response (Core §3.3.3) carrying one assertion (signed, plain or encrypted), or only a status. */
export async function buildSamlResponse(input: ProtocolMessageInput & { status: SamlStatus; assertion?: WrittenXml | undefined }): Promise<WrittenXml> {
  const w = statusResponse('Response', input, input.status);
  if (input.assertion) w.raw(input.assertion);
  return finish(w, input.signing);
}

/** samlp:LogoutResponse (Core §3.7.2). */
export async function buildLogoutResponse(input: ProtocolMessageInput & { status: SamlStatus }): Promise<WrittenXml> {
  return finish(statusResponse('LogoutResponse', input, input.status), input.signing);
}

/** samlp:LogoutRequest (Core §3.7.1) to a session participant: its NameID and SessionIndex from the session. */
export async function buildLogoutRequest(
  input: ProtocolMessageInput & { id: string; nameId: { value: string; format: string; spNameQualifier?: string | undefined }; sessionIndex?: string | undefined; notOnOrAfter: Date },
): Promise<WrittenXml> {
  const w = new XmlWriter().start(SAMLP, 'LogoutRequest', {
    Destination: input.destination,
    ID: input.id,
    IssueInstant: samlTime(input.issueInstant ?? new Date()),
    NotOnOrAfter: samlTime(input.notOnOrAfter),
    Version: '2.0',
  });
  w.leaf(SAML2, 'Issuer', input.issuer);
  if (input.signing) w.signatureHere();
  w.leaf(SAML2, 'NameID', input.nameId.value, { Format: input.nameId.format, SPNameQualifier: input.nameId.spNameQualifier });
  if (input.sessionIndex) w.leaf(SAMLP, 'SessionIndex', input.sessionIndex);
  return finish(w, input.signing);
}
