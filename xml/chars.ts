/** Anything outside the XML 1.0 Char production (C0 controls, lone surrogates, U+FFFE/F): XML cannot carry it. */
export const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
