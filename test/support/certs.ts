// The signing-certificate helper moved to pki.ts with the other test certificates; test/xml,
// test/tokens and the xml-attack fixtures still import it from here.
export { makeTestCert, type TestCert } from './pki.js';
