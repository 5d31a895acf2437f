import type { SignatureAlgorithm } from '../keys/signer.js';
import { namespace } from './writer.js';

/** XML-DSig identifiers shared by sign.ts and verify.ts (xmldsig-core, RFC 6931). */
export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const DS = namespace('ds', DSIG_NS);

export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const EXC_C14N_WITH_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';

export const SIGNATURE_METHOD: Readonly<Record<SignatureAlgorithm, string>> = {
  'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'rsa-sha384': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'rsa-sha512': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'rsa-sha1': 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
};

/** The DigestMethod that goes with each SignatureMethod, and node:crypto's name for the hash. */
export const DIGEST_METHOD: Readonly<Record<SignatureAlgorithm, { uri: string; hash: string }>> = {
  'rsa-sha256': { uri: 'http://www.w3.org/2001/04/xmlenc#sha256', hash: 'sha256' },
  'rsa-sha384': { uri: 'http://www.w3.org/2001/04/xmldsig-more#sha384', hash: 'sha384' },
  'rsa-sha512': { uri: 'http://www.w3.org/2001/04/xmlenc#sha512', hash: 'sha512' },
  'rsa-sha1': { uri: 'http://www.w3.org/2000/09/xmldsig#sha1', hash: 'sha1' },
};
