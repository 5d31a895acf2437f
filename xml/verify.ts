import { createHash, createPublicKey, verify as rsaVerify, type KeyObject } from 'node:crypto';
import { SignedXml, type HashAlgorithm, type SignatureAlgorithm as XcSignatureAlgorithm } from 'xml-crypto';
import type { SignatureAlgorithm } from '../keys/signer.js';
import { Rejection } from './chars.js';
import { DIGEST_METHOD, DSIG_NS, ENVELOPED_SIGNATURE, EXC_C14N, EXC_C14N_WITH_COMMENTS, SIGNATURE_METHOD } from './dsig.js';
import type { Document, Element } from '@xmldom/xmldom';
import { childElements, elementChildren, forEachElement, onlyChild, parseXml, rootElement, type ParseOptions } from './parse.js';

export type SignatureRejectReason =
  | 'no-signature'
  | 'signature-count'
  | 'signature-placement'
  | 'id'
  | 'reference'
  | 'transforms'
  | 'algorithm'
  | 'invalid';

export class SignatureRejected extends Rejection<SignatureRejectReason> {
  override readonly name = 'SignatureRejected';
}

export interface VerifyOptions extends ParseOptions {
  /** The element that must be signed: the document root, `{ns}name`. */
  expect: { ns: string; name: string };
  /**
   * Keys from configuration (the partner's current and next certificate); KeyInfo in the message
   * is never consulted. Pass KeyObjects parsed once; PEM certificates are parsed per call.
   */
  keys: readonly (KeyObject | string)[];
  /** The root's ID attribute the Reference must point at (SAML 2.0 / metadata: `ID`). */
  idAttribute?: string;
  /** RSA-SHA1 / SHA-1 digests, only by explicit per-trust opt-in (ARCHITECTURE.md). */
  allowSha1?: boolean;
}

export interface VerifiedXml {
  /** The signed element alone, as xml-crypto canonicalised it after checking, re-parsed strictly. */
  document: Document;
  root: Element;
  /** Its exclusive-c14n text (the enveloped Signature removed). */
  canonical: string;
  algorithm: SignatureAlgorithm;
  /** Index in `keys` of the key that verified, e.g. to notice a partner rolled to its next key. */
  keyIndex: number;
}

const NCNAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;
const ALGORITHMS = Object.keys(SIGNATURE_METHOD) as SignatureAlgorithm[];
const ID_ATTRIBUTES = ['ID', 'Id', 'id'];
// The only Transforms lists accepted: enveloped-signature then exclusive c14n. xml-crypto drops
// comments from a same-document reference even under #WithComments, so that variant is harmless.
const TRANSFORM_CHAINS = [[ENVELOPED_SIGNATURE, EXC_C14N], [ENVELOPED_SIGNATURE, EXC_C14N_WITH_COMMENTS]];
const CANONICALIZATIONS = [EXC_C14N, EXC_C14N_WITH_COMMENTS];

/**
 * Verifies an enveloped signature over the root of `xml` (AuthnRequests, LogoutRequests, partner
 * metadata) by ARCHITECTURE.md "XML and signatures": one Signature, a direct child of the root; one
 * Reference to the root's own ID; allow-listed transforms and algorithms; configured keys only.
 * Returns only what the signature covers — callers read nothing from the original document.
 */
export function verifyEnveloped(xml: string, options: VerifyOptions): VerifiedXml {
  const doc = parseXml(xml, options);
  const root = rootElement(doc, options.expect.ns, options.expect.name);
  const idAttribute = options.idAttribute ?? 'ID';

  const signatures = doc.getElementsByTagNameNS(DSIG_NS, 'Signature');
  if (signatures.length === 0) throw new SignatureRejected('no-signature', 'the document is not signed');
  if (signatures.length > 1) throw new SignatureRejected('signature-count', `${signatures.length} Signature elements`);
  const signature = signatures.item(0) as Element;
  if (signature.parentNode !== root) throw new SignatureRejected('signature-placement', 'the Signature is not a child of the root');

  const id = root.getAttribute(idAttribute) ?? '';
  if (!NCNAME.test(id)) throw new SignatureRejected('id', `the root has no usable ${idAttribute}`);
  const holders = countIdHolders(doc.documentElement as Element, id, new Set([idAttribute, ...ID_ATTRIBUTES]));
  if (holders !== 1) throw new SignatureRejected('id', `${holders} elements carry the ID ${id}`);

  const algorithm = checkSignedInfo(signature, id, options.allowSha1 === true);

  for (const [keyIndex, key] of options.keys.entries()) {
    const canonical = checkWithKey(xml, signature, key, idAttribute, options.allowSha1 === true);
    if (canonical === undefined) continue;
    // Only what was digested is read from here on (xml-crypto getSignedReferences).
    const signedDoc = parseXml(canonical, options);
    const signedRoot = rootElement(signedDoc, options.expect.ns, options.expect.name);
    if (signedRoot.getAttribute(idAttribute) !== id) throw new SignatureRejected('reference', 'the signed element is not the root');
    return { document: signedDoc, root: signedRoot, canonical, algorithm, keyIndex };
  }
  throw new SignatureRejected('invalid', 'no configured key verifies the signature');
}

function countIdHolders(root: Element, id: string, names: ReadonlySet<string>): number {
  let n = 0;
  // By local name, so a prefixed wsu:Id counts too (xml-crypto resolves references that way).
  forEachElement(root, (el) => {
    if (Array.from(el.attributes).some((a) => names.has(a.localName ?? '') && a.value === id)) n += 1;
  });
  return n;
}

/** Structure and allow-lists, read from our own strict DOM before xml-crypto sees anything. */
function checkSignedInfo(signature: Element, id: string, allowSha1: boolean): SignatureAlgorithm {
  for (const child of elementChildren(signature)) {
    if (child.namespaceURI !== DSIG_NS || !['SignedInfo', 'SignatureValue', 'KeyInfo'].includes(child.localName ?? '')) {
      throw new SignatureRejected('signature-placement', `unexpected ${child.localName} in Signature`);
    }
  }
  const signedInfo = onlyChild(signature, DSIG_NS, 'SignedInfo');
  onlyChild(signature, DSIG_NS, 'SignatureValue');
  const c14n = onlyChild(signedInfo, DSIG_NS, 'CanonicalizationMethod').getAttribute('Algorithm') ?? '';
  if (!CANONICALIZATIONS.includes(c14n)) throw new SignatureRejected('transforms', `CanonicalizationMethod ${c14n}`);

  const method = onlyChild(signedInfo, DSIG_NS, 'SignatureMethod').getAttribute('Algorithm') ?? '';
  const algorithm = ALGORITHMS.find((a) => SIGNATURE_METHOD[a] === method);
  if (!algorithm || (algorithm === 'rsa-sha1' && !allowSha1)) throw new SignatureRejected('algorithm', `SignatureMethod ${method}`);

  const references = childElements(signedInfo, DSIG_NS, 'Reference');
  if (references.length !== 1) throw new SignatureRejected('reference', `${references.length} References`);
  const reference = references[0] as Element;
  if (reference.getAttribute('URI') !== `#${id}`) throw new SignatureRejected('reference', 'the Reference does not point at the root');

  const transforms = childElements(onlyChild(reference, DSIG_NS, 'Transforms'), DSIG_NS, 'Transform')
    .map((t) => t.getAttribute('Algorithm') ?? '');
  if (!TRANSFORM_CHAINS.some((chain) => chain.length === transforms.length && chain.every((t, i) => t === transforms[i]))) {
    throw new SignatureRejected('transforms', `Transforms ${transforms.join(', ')}`);
  }
  const digest = onlyChild(reference, DSIG_NS, 'DigestMethod').getAttribute('Algorithm') ?? '';
  const digestAlgorithm = ALGORITHMS.find((a) => DIGEST_METHOD[a].uri === digest);
  if (!digestAlgorithm || (digestAlgorithm === 'rsa-sha1' && !allowSha1)) throw new SignatureRejected('algorithm', `DigestMethod ${digest}`);
  return algorithm;
}

/** xml-crypto does the cryptography, with its algorithm tables cut down to our allow-list. */
function checkWithKey(xml: string, signature: Element, key: KeyObject | string, idAttribute: string, allowSha1: boolean): string | undefined {
  const publicKey = typeof key === 'string' ? createPublicKey(key) : key;
  // xml-crypto always looks at Id/ID/id; naming one of those again would count each element twice.
  const extraId = ID_ATTRIBUTES.includes(idAttribute) ? undefined : idAttribute;
  const sx = new SignedXml({ publicCert: publicKey, idAttribute: extraId, getCertFromKeyInfo: () => null });
  const allowed = ALGORITHMS.filter((a) => a !== 'rsa-sha1' || allowSha1);
  sx.SignatureAlgorithms = Object.fromEntries(allowed.map((a) => [SIGNATURE_METHOD[a], rsaVerifier(a)]));
  sx.HashAlgorithms = Object.fromEntries(allowed.map((a) => [DIGEST_METHOD[a].uri, hasher(a)]));
  sx.CanonicalizationAlgorithms = {
    [ENVELOPED_SIGNATURE]: sx.CanonicalizationAlgorithms[ENVELOPED_SIGNATURE],
    [EXC_C14N]: sx.CanonicalizationAlgorithms[EXC_C14N],
    [EXC_C14N_WITH_COMMENTS]: sx.CanonicalizationAlgorithms[EXC_C14N_WITH_COMMENTS],
  } as SignedXml['CanonicalizationAlgorithms'];
  let valid: boolean;
  try {
    sx.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
    valid = sx.checkSignature(xml);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Only a SignatureValue that does not match this key means "try the next configured key".
    if (message.startsWith('invalid signature: the signature value')) return undefined;
    throw new SignatureRejected('invalid', message);
  }
  // false: the digest does not match the content, whichever key signed it.
  if (!valid) throw new SignatureRejected('invalid', 'the signed content was changed');
  const signed = sx.getSignedReferences();
  if (signed.length !== 1) throw new SignatureRejected('reference', `${signed.length} signed references`);
  return signed[0];
}

function hasher(algorithm: SignatureAlgorithm): new () => HashAlgorithm {
  const { uri, hash } = DIGEST_METHOD[algorithm];
  return class {
    getAlgorithmName = (): string => uri;
    getHash = (xml: string): string => createHash(hash).update(xml, 'utf8').digest('base64');
  };
}

function rsaVerifier(algorithm: SignatureAlgorithm): new () => XcSignatureAlgorithm {
  const { hash } = DIGEST_METHOD[algorithm];
  const uri = SIGNATURE_METHOD[algorithm];
  return class {
    getAlgorithmName = (): string => uri;
    getSignature = (): never => {
      throw new Error('verification only');
    };
    verifySignature = (material: string, key: KeyObject | string, value: string): boolean =>
      rsaVerify(hash, Buffer.from(material, 'utf8'), key, Buffer.from(value, 'base64'));
  } as unknown as new () => XcSignatureAlgorithm;
}


/**
 * SAML Bindings §3.4.4.1: the HTTP-Redirect binding's detached signature over the query octets,
 * under the same rules as an enveloped one: SigAlg from the allow-list (RSA-SHA1 only by per-trust
 * opt-in), keys from configuration only.
 */
export function verifyDetached(octets: string, sigAlg: string, signature: Buffer, options: Pick<VerifyOptions, 'keys' | 'allowSha1'>): { algorithm: SignatureAlgorithm; keyIndex: number } {
  const algorithm = ALGORITHMS.find((a) => SIGNATURE_METHOD[a] === sigAlg);
  if (!algorithm || (algorithm === 'rsa-sha1' && options.allowSha1 !== true)) throw new SignatureRejected('algorithm', `SigAlg ${sigAlg}`);
  const data = Buffer.from(octets, 'utf8');
  for (const [keyIndex, key] of options.keys.entries()) {
    const publicKey = typeof key === 'string' ? createPublicKey(key) : key;
    if (rsaVerify(DIGEST_METHOD[algorithm].hash, data, publicKey, signature)) return { algorithm, keyIndex };
  }
  throw new SignatureRejected('invalid', 'no configured key verifies the signature');
}
