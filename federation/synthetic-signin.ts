import { randomUUID, X509Certificate } from 'node:crypto';
import type { Config } from '../config/load.js';
import type { GraphClient } from '../entra/graph-client.js';
import { fail, pass, type CheckResult, type DoctorCheck } from '../health/doctor.js';
import type { publicEndpointClient } from '../health/endpoint-checks.js';
import { publishedSigningCertificates } from '../keys/signing-keys.js';
import { adfsEndpoints } from '../metadata/endpoints.js';
import type { Store } from '../store/types.js';
import { issuerForUpn } from '../sts/claims/issuer.js';
import { NS, USERNAME_2005 } from '../sts/protocols/wstrust/versions.js';
import { SAML11_NS } from '../sts/tokens/saml11-assertion.js';
import { ENTRA_IDENTIFIER } from '../sts/trusts/trust.js';
import { childElements, parseXml, textOf } from '../xml/parse.js';
import { SignatureRejected, verifyEnveloped } from '../xml/verify.js';
import { namespace, XmlWriter } from '../xml/writer.js';

const SOAP = namespace('s', NS.soap12);
const WSA = namespace('a', NS.wsa);
const WSSE = namespace('o', NS.wsse);
const WSU = namespace('u', NS.wsu);
const WSP = namespace('wsp', NS.wsp);
const TRUST = USERNAME_2005.trust.ns;
const IMMUTABLE_ID_NS = 'http://schemas.microsoft.com/LiveID/Federation/2008/05';

/**
 * The RST MSAL.NET sends to `/adfs/services/trust/2005/usernamemixed` (ENTRA.md §6.1, §6.2): SOAP 1.2,
 * WS-Addressing headers, a Timestamp of ten minutes and the UsernameToken, AppliesTo Entra.
 */
function usernameRst(endpointUrl: string, upn: string, password: string, now: Date): string {
  const w = new XmlWriter();
  const must = [{ ns: SOAP, name: 'mustUnderstand', value: '1' }];
  w.start(SOAP, 'Envelope').start(SOAP, 'Header');
  w.leaf(WSA, 'Action', USERNAME_2005.issueAction, {}, must);
  w.leaf(WSA, 'MessageID', `urn:uuid:${randomUUID()}`);
  w.start(WSA, 'ReplyTo').leaf(WSA, 'Address', 'http://www.w3.org/2005/08/addressing/anonymous').end();
  w.leaf(WSA, 'To', endpointUrl, {}, must);
  w.start(WSSE, 'Security', {}, must);
  w.start(WSU, 'Timestamp', {}, [{ ns: WSU, name: 'Id', value: '_0' }])
    .leaf(WSU, 'Created', now.toISOString())
    .leaf(WSU, 'Expires', new Date(now.getTime() + 10 * 60_000).toISOString())
    .end();
  w.start(WSSE, 'UsernameToken').leaf(WSSE, 'Username', upn).leaf(WSSE, 'Password', password).end();
  w.end().end();
  w.start(SOAP, 'Body').start(TRUST, 'RequestSecurityToken');
  w.start(WSP, 'AppliesTo').start(WSA, 'EndpointReference').leaf(WSA, 'Address', ENTRA_IDENTIFIER).end().end();
  w.leaf(TRUST, 'KeyType', USERNAME_2005.trust.keyType);
  w.leaf(TRUST, 'RequestType', USERNAME_2005.trust.requestType);
  return w.end().end().end().finish().xml;
}

/**
 * The assertion as MSAL Python takes it: the raw text inside RequestedSecurityToken, forwarded
 * untouched (ENTRA.md §6.7), so its signature must verify on that substring alone.
 */
function assertionText(rstr: string): string | undefined {
  return /<(\w+):RequestedSecurityToken>([\s\S]*?)<\/\1:RequestedSecurityToken>/.exec(rstr)?.[2];
}

/**
 * A sign-in of `doctor.testUser` through the real WS-Trust endpoint at `server.publicUrl`, whose
 * token is then checked as Entra checks it (ENTRA.md §2.11, §2.4–§2.8): Issuer = the user's domain's
 * issuerUri, audience urn:federation:MicrosoftOnline, an ImmutableID, signed by a certificate we
 * publish; with Graph, also that Entra has a user with that ImmutableID (else AADSTS51004, §7.2).
 */
export function syntheticSignInCheck(config: Config, testUser: { upn: string; password: string }, store: () => Store, client: ReturnType<typeof publicEndpointClient>, graph?: () => Promise<GraphClient>): DoctorCheck {
  const endpointUrl = adfsEndpoints(config).usernameMixed2005;
  return {
    name: 'synthetic sign-in',
    run: async (): Promise<CheckResult> => {
      const res = await client.get(endpointUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/soap+xml; charset=utf-8', SOAPAction: USERNAME_2005.issueAction },
        body: usernameRst(endpointUrl, testUser.upn, testUser.password, new Date()),
      });
      const soap = parseXml(res.text);
      if (res.status !== 200) {
        const reason = Array.from(soap.getElementsByTagNameNS(NS.soap12, 'Text')).map(textOf)[0] ?? `HTTP ${res.status}`;
        return fail(`${testUser.upn} at ${endpointUrl}: ${reason}`, 'check doctor.testUser’s password and account in AD, and the audit log (`signin` events)');
      }
      const text = assertionText(res.text);
      if (!text) return fail(`${endpointUrl} answered without a RequestedSecurityToken`, 'see the server log');
      const published = await publishedSigningCertificates(store());
      let verified;
      try {
        verified = verifyEnveloped(text, {
          expect: { ns: SAML11_NS, name: 'Assertion' }, idAttribute: 'AssertionID',
          keys: published.map((k) => new X509Certificate(k.certificateDer).publicKey),
        });
      } catch (err) {
        if (!(err instanceof SignatureRejected)) throw err;
        return fail(`the token is not signed by a published certificate: ${err.message} (Entra: AADSTS50006)`, 'restart the server so it signs with the active key');
      }
      const assertion = verified.root;
      const issuer = assertion.getAttribute('Issuer') ?? '';
      const expected = issuerForUpn(testUser.upn, config.federation.domains);
      if (issuer !== expected) return fail(`token Issuer ${issuer}, not ${expected} (Entra: AADSTS50107)`, 'check federation.domains[].issuerUri');
      const audiences = Array.from(assertion.getElementsByTagNameNS(SAML11_NS, 'Audience')).map((a) => textOf(a).trim());
      if (!audiences.includes(ENTRA_IDENTIFIER)) return fail(`token audience ${audiences.join(', ') || '(none)'}, not ${ENTRA_IDENTIFIER}`, 'see the entra: section');
      const immutableId = Array.from(assertion.getElementsByTagNameNS(SAML11_NS, 'Attribute'))
        .filter((a) => a.getAttribute('AttributeName') === 'ImmutableID' && a.getAttribute('AttributeNamespace') === IMMUTABLE_ID_NS)
        .flatMap((a) => childElements(a, SAML11_NS, 'AttributeValue').map(textOf))[0];
      if (!immutableId) return fail('token without an ImmutableID (Entra: AADSTS90020)', 'the user’s objectGUID or ms-DS-ConsistencyGuid must be readable by the service account');
      if (graph) {
        const user = await (await graph()).users.findByImmutableId(immutableId);
        if (!user) return fail(`Entra has no user with ImmutableID ${immutableId} (Entra: AADSTS51004)`, 'run `gatehouse sync run` so the user exists in Entra with this ImmutableID');
      }
      return pass(`${testUser.upn} got a token: Issuer ${issuer}, audience ${ENTRA_IDENTIFIER}, ImmutableID ${immutableId}, signed by ${published[verified.keyIndex]!.id}`);
    },
  };
}
