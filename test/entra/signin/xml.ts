import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

/**
 * The double's own XML reading and signature checking, on xml-crypto + @xmldom/xmldom directly:
 * Entra is an independent party, so the double must not share Gatehouse's xml/ module (a bug there
 * would otherwise hide itself).
 */

export const NS = {
  saml1: 'urn:oasis:names:tc:SAML:1.0:assertion',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  trust2005: 'http://schemas.xmlsoap.org/ws/2005/02/trust',
  wsp: 'http://schemas.xmlsoap.org/ws/2004/09/policy',
  wsa: 'http://www.w3.org/2005/08/addressing',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

const MAX_XML_CHARS = 512 * 1024;

/** Parses one XML document; null for anything malformed, oversized or carrying a DOCTYPE. */
export function parseXml(xml: string): Document | null {
  if (xml.length > MAX_XML_CHARS || /<!DOCTYPE/i.test(xml)) return null;
  try {
    const doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml');
    return doc.documentElement ? doc : null;
  } catch {
    return null;
  }
}

export function elementChildren(parent: Element, ns?: string, localName?: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType !== n.ELEMENT_NODE) continue;
    const el = n as Element;
    if (ns !== undefined && el.namespaceURI !== ns) continue;
    if (localName !== undefined && el.localName !== localName) continue;
    out.push(el);
  }
  return out;
}

export function firstChild(parent: Element, ns: string, localName: string): Element | undefined {
  return elementChildren(parent, ns, localName)[0];
}

/** Elements at any depth below (and including) `root`. */
export function descendants(root: Document | Element, ns: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(ns, localName));
}

export function textOf(el: Element | undefined): string | undefined {
  return el?.textContent ?? undefined;
}

/** base64 DER (Graph's `signingCertificate` form, ENTRA.md §1.2) → PEM for node:crypto. */
export function certificatePem(base64Der: string): string {
  const lines = base64Der.replace(/\s+/g, '').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Checks `signature` over `documentXml` with one configured certificate (never KeyInfo) and returns
 * the canonical XML of what it signs (xml-crypto `getSignedReferences`), or null. Callers read
 * claims only from that returned XML, which makes signature wrapping ineffective.
 */
export function signedContent(documentXml: string, signature: Element, idAttribute: string, base64Der: string): string | null {
  // xml-crypto already knows Id / ID / id; adding 'ID' again would count each element twice and
  // trip its own duplicate-ID (wrapping) guard.
  const verifier = new SignedXml({ publicCert: certificatePem(base64Der), ...(idAttribute === 'ID' ? {} : { idAttribute }) });
  try {
    verifier.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
    if (!verifier.checkSignature(documentXml)) return null;
  } catch {
    return null;
  }
  const refs = verifier.getSignedReferences();
  return refs.length === 1 ? (refs[0] ?? null) : null;
}
