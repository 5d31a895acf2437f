import type { Element, Node } from '@xmldom/xmldom';

/** `prefix:Name`, and not a URI (`urn:…` has more colons, `https://…` a slash). */
const QNAME = /^([A-Za-z_][A-Za-z0-9._-]*):[A-Za-z_][A-Za-z0-9._-]*$/;

export interface QNameValue {
  /** Where the value is: `@attr on element` or `text of element`. */
  where: string;
  value: string;
  /** The prefix's namespace as a reader resolves it on the element holding the value (null: unbound). */
  uri: string | null;
}

/**
 * Every attribute value and text that has the shape of a QName, with the namespace its prefix
 * resolves to on the element that holds it (`lookupNamespaceURI`, as WSDL tools and SOAP stacks do).
 */
export function qnameValues(root: Element): QNameValue[] {
  const found: QNameValue[] = [];
  const visit = (el: Element) => {
    for (const attr of Array.from(el.attributes)) {
      const m = QNAME.exec(attr.value);
      if (m && attr.prefix !== 'xmlns' && attr.name !== 'xmlns') found.push({ where: `@${attr.name} on ${el.tagName}`, value: attr.value, uri: el.lookupNamespaceURI(m[1]!) });
    }
    for (const child of Array.from(el.childNodes) as Node[]) {
      if (child.nodeType === child.ELEMENT_NODE) visit(child as Element);
      else if (child.nodeType === child.TEXT_NODE) {
        const m = QNAME.exec(child.nodeValue ?? '');
        if (m) found.push({ where: `text of ${el.tagName}`, value: child.nodeValue!, uri: el.lookupNamespaceURI(m[1]!) });
      }
    }
  };
  visit(root);
  return found;
}
