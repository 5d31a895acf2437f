import { WS_NS } from '../xml/namespaces.js';
import { namespace, qname, XmlWriter, type Namespace } from '../xml/writer.js';
import { WSTRUST_ENDPOINTS, type WsTrustEndpoint } from './endpoints.js';

const WSDL = namespace('wsdl', 'http://schemas.xmlsoap.org/wsdl/');
const SOAP12 = namespace('soap12', 'http://schemas.xmlsoap.org/wsdl/soap12/');
const WSP = namespace('wsp', WS_NS.wsp);
const WSU = namespace('wsu', WS_NS.wsu);
const WSA10 = namespace('wsa10', WS_NS.wsa);
const WSAW = namespace('wsaw', 'http://www.w3.org/2006/05/addressing/wsdl');
const SOAP_HTTP = 'http://schemas.xmlsoap.org/soap/http';
// AD FS's WSDL keeps WCF's default target namespace, bound to tns for the port bindings.
const TNS = namespace('tns', 'http://tempuri.org/');

/**
 * The security policy dialect each version's MEX must use, or the MSALs skip the endpoint
 * (ENTRA.md §6.6): 1.3 → WS-SecurityPolicy 1.2 with SignedEncryptedSupportingTokens, 2005 → the
 * 2005/07 draft with SignedSupportingTokens (the only one MSAL.NET recognises).
 */
const POLICY: Record<WsTrustEndpoint['name'], { sp: Namespace; supportingTokens: string }> = {
  '13': { sp: namespace('sp', 'http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702'), supportingTokens: 'SignedEncryptedSupportingTokens' },
  '2005': { sp: namespace('sp', 'http://schemas.xmlsoap.org/ws/2005/07/securitypolicy'), supportingTokens: 'SignedSupportingTokens' },
};

/** Names as AD FS gives them, so admins comparing the two documents recognise each part. */
function names(e: WsTrustEndpoint) {
  const contract = e.name === '13' ? 'IWSTrust13Async' : 'IWSTrustFeb2005Async';
  const binding = `UserNameWSTrustBinding_${contract}`;
  return { binding, policyId: `${binding}_policy`, operation: e.name === '13' ? 'Trust13IssueAsync' : 'TrustFeb2005IssueAsync' };
}

/**
 * `GET /adfs/services/trust/mex`: a WSDL with WS-Policy describing the two username/password
 * endpoints and nothing else we do not serve (ENTRA.md §6.6): `wsdl:definitions` as the root,
 * each policy a root child with wsu:Id, every binding SOAP 1.2 with its soapAction, and each port's
 * address the absolute https URL under `publicUrl`, with no whitespace around it.
 *
 * Port `binding` values are QNames in the target namespace (WSDL 1.1 §2.7), `tns:` as MSAL.NET
 * expects (both MSALs split at the colon); xmlns:tns is declared on the root, where WSDL tools
 * resolve it, as AD FS does.
 */
export function mexDocument(publicUrl: string): string {
  const w = new XmlWriter();
  w.start(WSDL, 'definitions', { name: 'SecurityTokenService', targetNamespace: TNS.uri }, [], { declare: [TNS] });
  for (const e of WSTRUST_ENDPOINTS) writePolicy(w, e);
  for (const e of WSTRUST_ENDPOINTS) writeBinding(w, e);
  w.start(WSDL, 'service', { name: 'SecurityTokenService' });
  for (const e of WSTRUST_ENDPOINTS) writePort(w, e, new URL(e.path, publicUrl).href);
  w.end();
  w.end();
  return w.finish().xml;
}

function writePolicy(w: XmlWriter, e: WsTrustEndpoint): void {
  const { sp, supportingTokens } = POLICY[e.name];
  const policy = () => w.start(WSP, 'Policy');
  const empty = (name: string) => w.leaf(sp, name, '');
  w.start(WSP, 'Policy', {}, [{ ns: WSU, name: 'Id', value: names(e).policyId }]);
  w.start(WSP, 'ExactlyOne').start(WSP, 'All');
  // Transport security: HTTPS, a Timestamp in the header (what usernamemixed means).
  w.start(sp, 'TransportBinding');
  policy();
  w.start(sp, 'TransportToken');
  policy().leaf(sp, 'HttpsToken', '', e.name === '2005' ? { RequireClientCertificate: 'false' } : {}).end();
  w.end();
  w.start(sp, 'AlgorithmSuite');
  policy();
  empty('Basic256');
  w.end().end();
  w.start(sp, 'Layout');
  policy();
  empty('Strict');
  w.end().end();
  empty('IncludeTimestamp');
  w.end().end();
  // The username token: WssUsernameToken10 is what both MSALs look for (ENTRA.md §6.6).
  w.start(sp, supportingTokens);
  policy();
  w.start(sp, 'UsernameToken', {}, [{ ns: sp, name: 'IncludeToken', value: `${sp.uri}/IncludeToken/AlwaysToRecipient` }]);
  policy();
  empty('WssUsernameToken10');
  w.end().end().end().end();
  w.leaf(WSAW, 'UsingAddressing', '');
  w.end().end().end();
}

function writeBinding(w: XmlWriter, e: WsTrustEndpoint): void {
  const n = names(e);
  w.start(WSDL, 'binding', { name: n.binding });
  w.leaf(WSP, 'PolicyReference', '', { URI: `#${n.policyId}` });
  w.leaf(SOAP12, 'binding', '', { transport: SOAP_HTTP });
  w.start(WSDL, 'operation', { name: n.operation });
  // The soapAction, not the policy, tells the MSALs which WS-Trust version the endpoint speaks.
  w.leaf(SOAP12, 'operation', '', { soapAction: e.issueAction, style: 'document' });
  w.start(WSDL, 'input').leaf(SOAP12, 'body', '', { use: 'literal' }).end();
  w.start(WSDL, 'output').leaf(SOAP12, 'body', '', { use: 'literal' }).end();
  w.end();
  w.end();
}

function writePort(w: XmlWriter, e: WsTrustEndpoint, address: string): void {
  const n = names(e);
  w.start(WSDL, 'port', { name: n.binding, binding: qname(TNS, n.binding) });
  w.leaf(SOAP12, 'address', '', { location: address });
  w.start(WSA10, 'EndpointReference').leaf(WSA10, 'Address', address).end();
  w.end();
}
