/** Namespace URIs several of our documents share (WS-* stack); each writer picks its own prefix. */
export const WS_NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  /** WS-Addressing 1.0. */
  wsa: 'http://www.w3.org/2005/08/addressing',
  /** WS-Security 1.0 secext and utility. */
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsse11: 'http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd',
  /** WS-Policy 1.2 (2004/09), which AD FS and both MSALs use. */
  wsp: 'http://schemas.xmlsoap.org/ws/2004/09/policy',
} as const;
