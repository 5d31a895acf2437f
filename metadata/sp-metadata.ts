import { X509Certificate } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { derToPem } from '../keys/certificate.js';
import { NameIdFormat } from '../sts/claims/types.js';
import type { SamlEndpoint, SamlTrustSettings } from '../sts/trusts/trust.js';
import { WS_NS } from '../xml/namespaces.js';
import { DSIG_NS } from '../xml/dsig.js';
import { booleanAttribute, childElements, onlyChild, optionalChild, parseXml, rootElement, textOf, XmlRejected } from '../xml/parse.js';
import { SignatureRejected, verifyEnveloped } from '../xml/verify.js';
import { BINDING, FED, MD, SAML2_PROTOCOL, XSI } from './federation-metadata.js';

/** What a relying party's metadata says about it, read from the signed part only when a signing certificate is configured. */
export interface PartnerMetadata {
  entityId: string;
  /** SAML 2.0 Metadata §2.3.1: past it the document must not be relied on. */
  validUntil?: Date | undefined;
  /** md:Organization/md:OrganizationDisplayName, the trust's default name. */
  displayName?: string | undefined;
  /** The SPSSODescriptor, mapped to the trust's SAML settings (no operator choices yet). */
  sp?: SpDescriptor | undefined;
  /** WS-Federation: fed:ApplicationServiceType's PassiveRequestorEndpoint addresses (WS-Federation 1.2 §3.1.2.2). */
  passiveEndpoints: string[];
}

export type SpDescriptor = Pick<SamlTrustSettings, 'assertionConsumerServices' | 'singleLogoutServices' | 'signingCertificates' | 'requireSignedRequests' | 'encryptionCertificate'> & {
  wantAssertionsSigned: boolean;
  nameIdFormat?: SamlTrustSettings['nameIdFormat'] | undefined;
};

/** A metadata document that cannot make a trust, with the reason in one line. */
export class MetadataRefused extends Error {
  override readonly name = 'MetadataRefused';
}

const BINDINGS: Record<string, SamlEndpoint['binding']> = { [BINDING.post]: 'post', [BINDING.redirect]: 'redirect' };
const NAME_ID_FORMATS: Record<string, SamlTrustSettings['nameIdFormat']> = {
  [NameIdFormat.persistent]: 'persistent',
  [NameIdFormat.transient]: 'transient',
  [NameIdFormat.email]: 'emailAddress',
  [NameIdFormat.unspecified]: 'unspecified',
};

/**
 * Reads one EntityDescriptor (an aggregate EntitiesDescriptor names many parties; add each from its
 * own document). With `signingCertificate` the document must carry an enveloped signature by that
 * key, checked by xml/verify.ts, and only the signed element is read; validUntil is honoured.
 */
export function readPartnerMetadata(xml: string, opts: { signingCertificate?: string | undefined; maxBytes: number; now: Date }): PartnerMetadata {
  try {
    return readEntity(xml, opts);
  } catch (err) {
    if (err instanceof SignatureRejected) throw new MetadataRefused(`the metadata signature is not valid for the configured signing certificate: ${err.message}`);
    if (err instanceof XmlRejected) throw new MetadataRefused(`the metadata is not a usable EntityDescriptor: ${err.message}`);
    throw err;
  }
}

function readEntity(xml: string, opts: { signingCertificate?: string | undefined; maxBytes: number; now: Date }): PartnerMetadata {
  const limits = { maxBytes: opts.maxBytes };
  const expect = { ns: MD.uri, name: 'EntityDescriptor' };
  // Only the signed element is read once a signature is checked (ARCHITECTURE.md "XML and signatures").
  const root = opts.signingCertificate
    ? verifyEnveloped(xml, { ...limits, expect, keys: [opts.signingCertificate] }).root
    : rootElement(parseXml(xml, limits), expect.ns, expect.name);
  const entityId = root.getAttribute('entityID') ?? '';
  if (entityId.trim() === '' || entityId.length > 1024) throw new MetadataRefused('the EntityDescriptor has no entityID');
  const validUntil = dateAttribute(root, 'validUntil');
  if (validUntil && validUntil <= opts.now) throw new MetadataRefused(`the metadata expired at ${validUntil.toISOString()} (validUntil)`);

  const sps = childElements(root, MD.uri, 'SPSSODescriptor').filter((d) => (d.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2_PROTOCOL));
  if (sps.length > 1) throw new MetadataRefused('the metadata has several SAML 2.0 SPSSODescriptors');
  const sp = sps[0] && readSp(sps[0], opts.now);
  const passiveEndpoints = childElements(root, MD.uri, 'RoleDescriptor').filter(isApplicationService).flatMap(passiveAddresses);
  if (!sp && passiveEndpoints.length === 0) throw new MetadataRefused('the metadata describes no SAML 2.0 service provider (SPSSODescriptor) and no WS-Federation application (fed:ApplicationServiceType)');
  const organisation = optionalChild(root, MD.uri, 'Organization');
  const displayName = organisation && childElements(organisation, MD.uri, 'OrganizationDisplayName')[0];
  return { entityId, validUntil, displayName: displayName && textOf(displayName).trim(), sp, passiveEndpoints };
}

function readSp(sp: Element, now: Date): SpDescriptor {
  const validUntil = dateAttribute(sp, 'validUntil');
  if (validUntil && validUntil <= now) throw new MetadataRefused(`the SPSSODescriptor expired at ${validUntil.toISOString()} (validUntil)`);
  const assertionConsumerServices = endpoints(sp, 'AssertionConsumerService');
  if (assertionConsumerServices.length === 0) throw new MetadataRefused('the SPSSODescriptor has no AssertionConsumerService with the HTTP-POST or HTTP-Redirect binding');
  const keys = childElements(sp, MD.uri, 'KeyDescriptor');
  // A KeyDescriptor without `use` serves both purposes (SAML 2.0 Metadata §2.4.1.1); only one marked
  // for encryption turns assertion encryption on, so a party that publishes one certificate is not
  // sent assertions it never asked to have encrypted.
  const certificates = (use: string) => keys.filter((k) => (k.getAttribute('use') || use) === use).flatMap(certificatesOf);
  const formats = childElements(sp, MD.uri, 'NameIDFormat').map((f) => NAME_ID_FORMATS[textOf(f).trim()]).filter((f) => f !== undefined);
  return {
    assertionConsumerServices,
    singleLogoutServices: endpoints(sp, 'SingleLogoutService'),
    signingCertificates: certificates('signing'),
    encryptionCertificate: keys.filter((k) => k.getAttribute('use') === 'encryption').flatMap(certificatesOf)[0],
    requireSignedRequests: booleanAttribute(sp, null, 'AuthnRequestsSigned') ?? false,
    wantAssertionsSigned: booleanAttribute(sp, null, 'WantAssertionsSigned') ?? false,
    nameIdFormat: formats[0],
  };
}

/** Endpoints of the bindings Gatehouse speaks; others (Artifact, PAOS, SOAP) are left out. Locations must be https, as AD FS requires. */
function endpoints(sp: Element, name: string): SamlEndpoint[] {
  const out: SamlEndpoint[] = [];
  for (const el of childElements(sp, MD.uri, name)) {
    const binding = BINDINGS[el.getAttribute('Binding') ?? ''];
    if (!binding) continue;
    const location = httpsUrl(el.getAttribute('Location') ?? '', `${name} Location`);
    const indexText = el.getAttribute('index');
    const index = indexText === null || indexText === '' ? undefined : Number(indexText);
    if (index !== undefined && !(Number.isInteger(index) && index >= 0 && index <= 65535)) throw new MetadataRefused(`${name} index ${indexText} is not an unsignedShort`);
    // ResponseLocation (Metadata §2.2.2): where this party wants LogoutResponses, when not at Location.
    const responseText = el.getAttribute('ResponseLocation');
    const responseLocation = responseText ? httpsUrl(responseText, `${name} ResponseLocation`) : undefined;
    out.push({ binding, location, index, isDefault: booleanAttribute(el, null, 'isDefault') ?? false, ...(responseLocation ? { responseLocation } : {}) });
  }
  return out;
}

function certificatesOf(key: Element): string[] {
  const info = onlyChild(key, DSIG_NS, 'KeyInfo');
  return childElements(info, DSIG_NS, 'X509Data').flatMap((d) => childElements(d, DSIG_NS, 'X509Certificate')).map((c) => {
    const der = Buffer.from(textOf(c).replace(/\s+/g, ''), 'base64');
    try {
      new X509Certificate(der);
    } catch {
      throw new MetadataRefused('a KeyDescriptor holds an X509Certificate that is not a certificate');
    }
    return derToPem(der);
  });
}

/** xsi:type is a QName: its prefix is resolved in the element's scope, never compared as text. */
function isApplicationService(role: Element): boolean {
  const type = role.getAttributeNS(XSI.uri, 'type') ?? '';
  const [prefix, local] = type.includes(':') ? type.split(':', 2) : [null, type];
  return local === 'ApplicationServiceType' && role.lookupNamespaceURI(prefix || null) === FED.uri;
}

function passiveAddresses(role: Element): string[] {
  return childElements(role, FED.uri, 'PassiveRequestorEndpoint')
    .flatMap((e) => childElements(e, WS_NS.wsa, 'EndpointReference'))
    .map((ref) => httpsUrl(textOf(onlyChild(ref, WS_NS.wsa, 'Address')).trim(), 'PassiveRequestorEndpoint Address'));
}

function httpsUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MetadataRefused(`${what} ${JSON.stringify(value.slice(0, 200))} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new MetadataRefused(`${what} ${url.href} is not https`);
  return url.href;
}

function dateAttribute(el: Element, name: string): Date | undefined {
  const value = el.getAttribute(name);
  if (value === null || value === '') return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new MetadataRefused(`${el.localName}/@${name} ${JSON.stringify(value.slice(0, 40))} is not a dateTime`);
  return at;
}
