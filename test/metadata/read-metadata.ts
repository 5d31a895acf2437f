import type { Element } from '@xmldom/xmldom';
import { childElements, parseXml, rootElement, textOf } from '../../xml/parse.js';

export const MD_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
export const FED_NS = 'http://docs.oasis-open.org/wsfed/federation/200706';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const WSA_NS = 'http://www.w3.org/2005/08/addressing';

/** The parts of a FederationMetadata.xml the tests look at, read with our hardened parser. */
export interface ReadMetadata {
  root: Element;
  /** RoleDescriptors by their xsi:type, resolved to {namespace}local the way .NET readers do. */
  roles: Map<string, Element>;
  idpSso: Element;
}

export function readMetadata(xml: string): ReadMetadata {
  const root = rootElement(parseXml(xml), MD_NS, 'EntityDescriptor');
  const roles = new Map<string, Element>();
  for (const role of childElements(root, MD_NS, 'RoleDescriptor')) {
    const [prefix, local] = role.getAttributeNS(XSI_NS, 'type')!.split(':');
    roles.set(`{${role.lookupNamespaceURI(prefix!)}}${local}`, role);
  }
  const [idpSso] = childElements(root, MD_NS, 'IDPSSODescriptor');
  if (!idpSso) throw new Error('no IDPSSODescriptor');
  return { root, roles, idpSso };
}

/** base64 DER of every KeyDescriptor use="signing" certificate under `role`, in document order. */
export function signingCertificates(role: Element): string[] {
  return childElements(role, MD_NS, 'KeyDescriptor')
    .filter((kd) => kd.getAttribute('use') === 'signing')
    .flatMap((kd) => childElements(kd, DS_NS, 'KeyInfo'))
    .flatMap((ki) => childElements(ki, DS_NS, 'X509Data'))
    .flatMap((xd) => childElements(xd, DS_NS, 'X509Certificate'))
    .map((c) => textOf(c));
}

/** The wsa:Address of each `{fed}name` endpoint under `role`. */
export function endpointAddresses(role: Element, name: string): string[] {
  return childElements(role, FED_NS, name)
    .flatMap((e) => childElements(e, WSA_NS, 'EndpointReference'))
    .flatMap((epr) => childElements(epr, WSA_NS, 'Address'))
    .map((a) => textOf(a));
}

export function pemOf(base64Der: string): string {
  return `-----BEGIN CERTIFICATE-----\n${base64Der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}
