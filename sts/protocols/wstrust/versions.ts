import { WS_NS } from '../../../xml/namespaces.js';
import { WSTRUST_13, WSTRUST_2005, type WsTrustEndpoint } from '../../../metadata/endpoints.js';
import { TRUST_13, TRUST_2005, type TrustVersion } from './rstr.js';

/**
 * One username/password endpoint (metadata/endpoints.ts: path and request action), with the
 * WS-Trust dialect it speaks and the wsa:Action of our answer.
 */
export interface UsernameEndpoint extends WsTrustEndpoint {
  readonly trust: TrustVersion;
  /** wsa:Action of a successful answer. */
  readonly replyAction: string;
  /** 1.3 answers in a Collection, which MSAL.NET needs to find the token (ENTRA.md §6.3). */
  readonly collection: boolean;
}

export const USERNAME_13: UsernameEndpoint = {
  ...WSTRUST_13,
  trust: TRUST_13,
  // WS-Trust 1.3 §4.3: the final response to an Issue is an RSTRC with this action.
  replyAction: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal',
  collection: true,
};

export const USERNAME_2005: UsernameEndpoint = {
  ...WSTRUST_2005,
  trust: TRUST_2005,
  replyAction: 'http://schemas.xmlsoap.org/ws/2005/02/trust/RSTR/Issue',
  collection: false,
};

/** Both served, in MEX's order. */
export const USERNAME_ENDPOINTS: readonly UsernameEndpoint[] = [USERNAME_13, USERNAME_2005];

/** The namespaces of the SOAP envelope and its headers (SOAP 1.2, WS-Addressing 1.0, WSS 1.0). */
export const NS = {
  soap12: WS_NS.soap12,
  wsa: WS_NS.wsa,
  /** The submission version some older 2005 clients still put in AppliesTo. */
  wsa2004: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsse: WS_NS.wsse,
  wsu: WS_NS.wsu,
  wsp: WS_NS.wsp,
} as const;

/** WSS UsernameToken Profile 1.0 §4.1: the only password type we take (no Type attribute means this). */
export const PASSWORD_TEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
