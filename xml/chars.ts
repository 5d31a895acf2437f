/** Anything outside the XML 1.0 Char production (C0 controls, lone surrogates, U+FFFE/F): XML cannot carry it. */
export const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * XML Schema Part 2 §4.3.6 whiteSpace "collapse": tab, newline and carriage return become spaces,
 * runs of spaces become one, leading and trailing ones go. Only XML's four white-space characters
 * (XML 1.0 production S): String.trim would also drop U+00A0, U+FEFF and others.
 */
export function collapse(value: string): string {
  return value.replace(/[\t\n\r ]+/g, ' ').replace(/^ | $/g, '');
}

/** Why a piece of network XML (or its signature) was refused: a stable reason code for logs and protocol errors. */
export class Rejection<R extends string> extends Error {
  constructor(readonly reason: R, detail: string) {
    super(`${reason}: ${detail}`);
  }
}
