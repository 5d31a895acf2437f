import { createPrivateKey, sign as rsaSign, type KeyObject } from 'node:crypto';

/** XML-DSig / JWS signature algorithms Gatehouse signs with. SHA-1 only where a trust opts in. */
export type SignatureAlgorithm = 'rsa-sha256' | 'rsa-sha384' | 'rsa-sha512' | 'rsa-sha1';

const hashOf: Record<SignatureAlgorithm, string> = {
  'rsa-sha256': 'sha256',
  'rsa-sha384': 'sha384',
  'rsa-sha512': 'sha512',
  'rsa-sha1': 'sha1',
};

/**
 * The one way tokens get signed: a strategy so a PKCS#11 signer can replace the software one
 * without touching token builders (ARCHITECTURE.md "keys/"). Async because an HSM is.
 */
export interface Signer {
  /** SHA-1 thumbprint of the certificate, hex upper-case, as AD FS shows it. */
  readonly thumbprint: string;
  /** DER bytes of the signing certificate (published in KeyInfo and metadata). */
  readonly certificateDer: Buffer;
  sign(algorithm: SignatureAlgorithm, data: Buffer): Promise<Buffer>;
}

/** A software signer over a private key parsed once into a KeyObject (parsing per call costs ~0.7 ms). */
export function softwareSigner(privateKey: KeyObject | string, certificateDer: Buffer, thumbprint: string): Signer {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return {
    thumbprint,
    certificateDer,
    async sign(algorithm, data) {
      return rsaSign(hashOf[algorithm], data, key);
    },
  };
}
