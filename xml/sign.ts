import { createHash } from 'node:crypto';
import type { SignatureAlgorithm, Signer } from '../keys/signer.js';
import { DIGEST_METHOD, DS, ENVELOPED_SIGNATURE, EXC_C14N, SIGNATURE_METHOD } from './dsig.js';
import { withSignature, WrittenXml, XmlWriteError, XmlWriter } from './writer.js';

export interface SignOptions {
  signer: Signer;
  /** Default rsa-sha256 (ENTRA.md §2.8); the DigestMethod follows the SignatureMethod. */
  algorithm?: SignatureAlgorithm;
  /** The root attribute holding the ID the Reference points at: `AssertionID` (SAML 1.1) or `ID`. */
  idAttribute: string;
}

// XML Schema ID (an NCName): must not start with a digit (ENTRA.md §2.4); no quotes either, which
// verifiers put into XPath expressions.
const NCNAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/**
 * Enveloped XML-DSig over the root of `doc`, placed at the slot the writer marked (last child for
 * SAML 1.1, after Issuer for SAML 2.0, first child for metadata). `doc.canonical` is the
 * exclusive-c14n of the document without the signature, which is exactly what the
 * enveloped-signature + exc-c14n transforms produce, so the digest is taken over its bytes directly
 * (the document's extra QName declarations are not in it, as a verifier's c14n drops them too).
 * The Signature is written canonical and declares nothing extra, so the signed element verifies
 * when cut out verbatim (ENTRA.md §6.7).
 */
export async function signEnveloped(doc: WrittenXml, options: SignOptions): Promise<WrittenXml> {
  const algorithm = options.algorithm ?? 'rsa-sha256';
  const slot = doc.signatureSlot;
  if (!slot) throw new XmlWriteError('mark the signature position with signatureHere() before signing');
  const id = doc.rootAttributes.get(options.idAttribute);
  if (id === undefined || !NCNAME.test(id)) {
    throw new XmlWriteError(`the root needs an ${options.idAttribute} attribute that is an XML ID`);
  }
  const digest = DIGEST_METHOD[algorithm];
  const digestValue = createHash(digest.hash).update(doc.canonical, 'utf8').digest('base64');

  // SignedInfo is canonicalised as its own apex, so it declares xmlns:ds itself; inside the
  // Signature the same element inherits it. Writing it twice is cheaper than any string surgery.
  const signedInfo = (w: XmlWriter): XmlWriter => {
    w.start(DS, 'SignedInfo')
      .leaf(DS, 'CanonicalizationMethod', '', { Algorithm: EXC_C14N })
      .leaf(DS, 'SignatureMethod', '', { Algorithm: SIGNATURE_METHOD[algorithm] })
      .start(DS, 'Reference', { URI: `#${id}` })
      .start(DS, 'Transforms')
      .leaf(DS, 'Transform', '', { Algorithm: ENVELOPED_SIGNATURE })
      .leaf(DS, 'Transform', '', { Algorithm: EXC_C14N })
      .end()
      .leaf(DS, 'DigestMethod', '', { Algorithm: digest.uri })
      .leaf(DS, 'DigestValue', digestValue)
      .end();
    return w.end();
  };
  const canonicalSignedInfo = signedInfo(new XmlWriter()).finish().canonical;
  const signatureValue = await options.signer.sign(algorithm, Buffer.from(canonicalSignedInfo, 'utf8'));

  const sig = new XmlWriter({ inScope: slot.inScope }).start(DS, 'Signature');
  signedInfo(sig)
    .leaf(DS, 'SignatureValue', signatureValue.toString('base64'))
    .start(DS, 'KeyInfo')
    .start(DS, 'X509Data')
    .leaf(DS, 'X509Certificate', options.signer.certificateDer.toString('base64'))
    .end()
    .end()
    .end();
  return withSignature(doc, sig.finish());
}
