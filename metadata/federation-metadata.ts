import { WS_NS } from '../xml/namespaces.js';
import { randomUUID } from 'node:crypto';
import type { Signer } from '../keys/signer.js';
import { NameIdFormat } from '../sts/claims/types.js';
import { DS } from '../xml/dsig.js';
import { signEnveloped } from '../xml/sign.js';
import { namespace, qname, type Namespace, type WrittenXml, XmlWriter } from '../xml/writer.js';
import { offeredClaimTypes } from './claim-descriptions.js';
import type { AdfsEndpoints } from './endpoints.js';

export const MD = namespace('md', 'urn:oasis:names:tc:SAML:2.0:metadata');
export const FED = namespace('fed', 'http://docs.oasis-open.org/wsfed/federation/200706');
const AUTH = namespace('auth', 'http://docs.oasis-open.org/wsfed/authorization/200706');
const WSA = namespace('wsa', WS_NS.wsa);
const MEX = namespace('wsx', 'http://schemas.xmlsoap.org/ws/2004/09/mex');
export const XSI = namespace('xsi', 'http://www.w3.org/2001/XMLSchema-instance');

export const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;
// The token types Gatehouse issues: SAML 1.1 to WS-Federation parties (ENTRA.md §2.3), SAML 2.0 to SAML ones.
const TOKEN_TYPES = ['urn:oasis:names:tc:SAML:2.0:assertion', 'urn:oasis:names:tc:SAML:1.0:assertion'];

/** What the document says; everything else is fixed by the protocols Gatehouse speaks. */
export interface FederationMetadataInput {
  /** The federation service identifier (`serviceIdentifier(config)`), the entityID. */
  entityId: string;
  /** ServiceDisplayName of the role descriptors, as AD FS shows its federation service name. */
  displayName: string;
  endpoints: AdfsEndpoints;
  /** DER of every published token-signing certificate, active first, then next (ENTRA.md §1.4). */
  signingCertificates: readonly Buffer[];
}

/**
 * The FederationMetadata.xml document AD FS publishes (SAML 2.0 metadata extended by WS-Federation
 * 1.2 §3.1): a fed:ApplicationServiceType and a fed:SecurityTokenServiceType RoleDescriptor and an
 * IDPSSODescriptor, with the signature slot as the first child of EntityDescriptor (saml-metadata
 * §2.3.2 schema order). Unsigned; `signFederationMetadata` signs it.
 */
export function federationMetadataDocument(input: FederationMetadataInput, id: string): WrittenXml {
  const w = new XmlWriter().start(MD, 'EntityDescriptor', { ID: id, entityID: input.entityId }).signatureHere();
  applicationService(w, input);
  securityTokenService(w, input);
  identityProvider(w, input);
  return w.end().finish();
}

/** Builds and signs the document with the active key: enveloped, RSA-SHA256, exclusive c14n. */
export async function signFederationMetadata(input: FederationMetadataInput, signer: Signer): Promise<string> {
  const doc = federationMetadataDocument(input, `_${randomUUID()}`);
  return (await signEnveloped(doc, { signer, idAttribute: 'ID' })).xml;
}

// WS-Federation role descriptors are told apart by xsi:type="fed:…", a QName inside an attribute
// value. .NET readers (Microsoft.IdentityModel's WsFederationMetadataSerializer, which is what reads
// AD FS metadata) resolve that prefix against the namespaces in scope on RoleDescriptor, so xmlns:fed
// is declared there, as AD FS does; exclusive c14n drops it (nothing there is named fed:), so it is
// in the document only and the fed: children keep their own declarations.
function roleDescriptor(w: XmlWriter, type: string, input: FederationMetadataInput): XmlWriter {
  return w.start(
    MD,
    'RoleDescriptor',
    { ServiceDisplayName: input.displayName, protocolSupportEnumeration: FED.uri },
    [{ ns: XSI, name: 'type', value: qname(FED, type) }],
    { declare: [FED] },
  );
}

function signingKeys(w: XmlWriter, input: FederationMetadataInput): void {
  for (const der of input.signingCertificates) {
    w.start(MD, 'KeyDescriptor', { use: 'signing' })
      .start(DS, 'KeyInfo')
      .start(DS, 'X509Data')
      .leaf(DS, 'X509Certificate', der.toString('base64'))
      .end()
      .end()
      .end();
  }
}

/** `<ns:name><wsa:EndpointReference><wsa:Address>url</…>`, with an optional MEX reference (as AD FS). */
function endpoint(w: XmlWriter, ns: Namespace, name: string, url: string, mexUrl?: string): void {
  w.start(ns, name).start(WSA, 'EndpointReference').leaf(WSA, 'Address', url);
  if (mexUrl) {
    w.start(WSA, 'Metadata')
      .start(MEX, 'Metadata')
      .start(MEX, 'MetadataSection', { Dialect: MEX.uri })
      .start(MEX, 'MetadataReference')
      .leaf(WSA, 'Address', mexUrl)
      .end()
      .end()
      .end()
      .end();
  }
  w.end().end();
}

// Gatehouse takes no tokens from claims providers; like AD FS it still describes its passive
// endpoint as an application service so WS-Federation tooling that expects the pair finds it.
function applicationService(w: XmlWriter, input: FederationMetadataInput): void {
  roleDescriptor(w, 'ApplicationServiceType', input);
  endpoint(w, FED, 'ApplicationServiceEndpoint', input.endpoints.passive);
  endpoint(w, FED, 'PassiveRequestorEndpoint', input.endpoints.passive);
  w.end();
}

// Child order: RoleDescriptorType, then WebServiceDescriptorType, then SecurityTokenServiceType
// (ws-federation.xsd 1.2).
function securityTokenService(w: XmlWriter, input: FederationMetadataInput): void {
  roleDescriptor(w, 'SecurityTokenServiceType', input);
  signingKeys(w, input);
  w.start(FED, 'TokenTypesOffered');
  for (const uri of TOKEN_TYPES) w.leaf(FED, 'TokenType', '', { Uri: uri });
  w.end();
  w.start(FED, 'ClaimTypesOffered');
  for (const claim of offeredClaimTypes) {
    w.start(AUTH, 'ClaimType', { Optional: 'true', Uri: claim.uri })
      .leaf(AUTH, 'DisplayName', claim.displayName)
      .leaf(AUTH, 'Description', claim.description)
      .end();
  }
  w.end();
  // The active (WS-Trust) endpoint, described by the MEX document rich clients read (ENTRA.md §6.1).
  endpoint(w, FED, 'SecurityTokenServiceEndpoint', input.endpoints.usernameMixed2005, input.endpoints.mex);
  endpoint(w, FED, 'PassiveRequestorEndpoint', input.endpoints.passive);
  w.end();
}

// saml-metadata §2.4.3 order: KeyDescriptor, SingleLogoutService, NameIDFormat, SingleSignOnService.
// As AD FS, SAML 2.0 SSO and SLO are served at the one passive endpoint in both bindings
// (sts/http/saml-route.ts), with the four NameID formats sts/tokens/claims-to-saml2.ts issues.
function identityProvider(w: XmlWriter, input: FederationMetadataInput): void {
  w.start(MD, 'IDPSSODescriptor', { protocolSupportEnumeration: SAML2_PROTOCOL });
  signingKeys(w, input);
  for (const binding of [BINDING.redirect, BINDING.post]) w.leaf(MD, 'SingleLogoutService', '', { Binding: binding, Location: input.endpoints.passive });
  for (const format of [NameIdFormat.email, NameIdFormat.persistent, NameIdFormat.transient, NameIdFormat.unspecified]) w.leaf(MD, 'NameIDFormat', format);
  for (const binding of [BINDING.redirect, BINDING.post]) w.leaf(MD, 'SingleSignOnService', '', { Binding: binding, Location: input.endpoints.passive });
  w.end();
}
