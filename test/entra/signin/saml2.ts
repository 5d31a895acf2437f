import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import type { InternalDomainFederation } from '../tenant.js';
import { EntraError, invalidRequestParameter, invalidSamlToken } from './errors.js';
import { logSignIn } from './log.js';
import type { PendingSignIns } from './pending.js';
import type { RuleContext } from './rules.js';
import { validateSaml2Response, type ValidatedSignIn } from './validate.js';
import { WAUTH_MFA } from './wsfed.js';

/** Entra's side of SAML 2.0 federation, `preferredAuthenticationProtocol: saml` (ENTRA.md §3). */

/** The production URL Entra's Responses are addressed to (ENTRA.md §3.2), accepted beside the double's own. */
export const PRODUCTION_LOGIN_SRF = 'https://login.microsoftonline.com/login.srf';

/**
 * The double's stand-in for the key behind Entra's metadata certificate, which signs AuthnRequests
 * when isSignedAuthenticationRequestRequired (ENTRA.md §3.1). Entra names it with KeyName
 * "MicrosoftOnline", so a verifier needs the key from configuration: tests take it from here.
 */
const requestKey: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const authnRequestSigningPublicKeyPem = requestKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/**
 * ENTRA.md §3.1: ID, Version, IssueInstant, Issuer urn:federation:MicrosoftOnline, NameIDPolicy
 * persistent, no AssertionConsumerServiceURL; Destination only on signed requests. For MFA on an
 * enforceMfaByFederatedIdp domain a RequestedAuthnContext multipleauthn (§5.1, *(unconfirmed)*).
 */
export function authnRequest(federation: InternalDomainFederation, requestId: string, mfaRequired: boolean): string {
  const signed = federation.isSignedAuthenticationRequestRequired;
  const mfa = mfaRequired && federation.federatedIdpMfaBehavior === 'enforceMfaByFederatedIdp'
    ? `<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>${WAUTH_MFA}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`
    : '';
  const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${requestId}" Version="2.0" IssueInstant="${new Date().toISOString()}"`
    + `${signed ? ` Destination="${escAttr(federation.passiveSignInUri)}"` : ''}>`
    + `<saml:Issuer>urn:federation:MicrosoftOnline</saml:Issuer>`
    + `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/>${mfa}</samlp:AuthnRequest>`;
  return signed ? signRequest(xml) : xml;
}

/** ENTRA.md §3.1: enveloped, exc-c14n, RSA-SHA1/SHA-1 as in Microsoft's sample, KeyName "MicrosoftOnline". */
function signRequest(xml: string): string {
  const sig = new SignedXml({
    privateKey: requestKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    getKeyInfoContent: () => '<KeyName>MicrosoftOnline</KeyName>',
  });
  sig.addReference({
    xpath: '/*',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2000/09/xmldsig#sha1',
  });
  sig.computeSignature(xml, { location: { reference: "/*/*[local-name()='Issuer']", action: 'after' } });
  return sig.getSignedXml();
}

const escAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The HTTP-POST binding fields Entra sends to passiveSignInUri (ENTRA.md §3.1); RelayState comes back (§3.2). */
export function authnRequestForm(federation: InternalDomainFederation, relayState: string, requestId: string, mfaRequired: boolean) {
  return {
    action: federation.passiveSignInUri,
    fields: { SAMLRequest: Buffer.from(authnRequest(federation, requestId, mfaRequired)).toString('base64'), RelayState: relayState },
  };
}

export const newRequestId = () => `_${randomUUID()}`;

export type Saml2Answer =
  | { kind: 'signed-in'; signIn: ValidatedSignIn }
  | { kind: 'post'; form: ReturnType<typeof authnRequestForm> }
  | { kind: 'error'; error: EntraError };

/** ENTRA.md §3.2: the SAMLResponse POSTed to login.srf, matched to its AuthnRequest by RelayState. */
export function finishSaml2(
  body: { SAMLResponse?: string; RelayState?: string }, pending: PendingSignIns, ctx: RuleContext, ownLoginSrf: string,
): Saml2Answer {
  const fail = (error: EntraError): Saml2Answer => {
    logSignIn({ tenantId: ctx.tenant.id, protocol: 'saml', result: 'failure', code: error.code, rule: error.rule });
    return { kind: 'error', error };
  };
  const started = pending.take(body.RelayState);
  if (!started?.requestId) return fail(invalidRequestParameter('RelayState'));
  const xml = Buffer.from(body.SAMLResponse ?? '', 'base64').toString('utf8');
  if (!xml) return fail(invalidSamlToken('samlResponseShape'));
  let signIn: ValidatedSignIn;
  try {
    signIn = validateSaml2Response(xml, ctx, { requestId: started.requestId, loginSrfUrls: [ownLoginSrf, PRODUCTION_LOGIN_SRF] }, started.mfaRequired);
  } catch (e) {
    if (e instanceof EntraError) return fail(e);
    throw e;
  }
  const record = { tenantId: ctx.tenant.id, protocol: 'saml' as const, userId: signIn.user.id, upn: signIn.user.userPrincipalName, immutableId: signIn.immutableId, mfa: signIn.mfa };
  if (signIn.mfa === 'redirect-to-idp') {
    // §5.1: back to the IdP for MFA; for SAML presumably a RequestedAuthnContext *(unconfirmed)*.
    logSignIn({ ...record, result: 'mfa-redirect' });
    const requestId = newRequestId();
    const relayState = pending.issue({ domain: started.domain, username: signIn.user.userPrincipalName, mfaRequired: true, requestId });
    return { kind: 'post', form: authnRequestForm(signIn.federation, relayState, requestId, true) };
  }
  logSignIn({ ...record, result: 'success' });
  return { kind: 'signed-in', signIn };
}
