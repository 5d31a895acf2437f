import { createHash, X509Certificate } from 'node:crypto';
import type { Store } from '../store/types.js';
import { unsealPrivateKey } from './keystore.js';
import { publishedSigningCertificates } from './signing-keys.js';

/** A private RSA JWK as oidc-provider takes it (RFC 7517), with the certificate it belongs to. */
export interface SigningJwk {
  kty: 'RSA';
  kid: string;
  x5c: string[];
  use: 'sig';
  alg: 'RS256';
  /** `['verify']` for a next or previous key: published so relying parties accept it, never chosen to sign. */
  key_ops?: string[];
  [member: string]: unknown;
}

/** The published signing certificates and the version of that set: a promotion or a new next key changes it. */
export interface SigningJwks {
  version: string;
  keys: SigningJwk[];
}

/**
 * The token-signing certificates of keys/ as a JSON Web Key Set for OpenID Connect: the active key
 * first (the one that signs), then the next and the previous ones, published so ID tokens keep
 * verifying across a rollover as AD FS publishes them at /adfs/discovery/keys. As AD FS, `kid` is
 * the base64url SHA-1 thumbprint of the certificate (its x5t, RFC 7515 §4.1.7), `x5c` the certificate.
 */
export async function signingJwks(store: Store, kek: Buffer): Promise<SigningJwks> {
  const records = await publishedSigningCertificates(store);
  const keys = records.map((r): SigningJwk => {
    const cert = new X509Certificate(r.certificateDer);
    const thumbprint = createHash('sha1').update(r.certificateDer).digest('base64url');
    const priv = unsealPrivateKey(r.sealedPrivateKey, kek, r.id).export({ format: 'jwk' });
    // The sealed private key must be the certificate's: a mismatch would sign tokens nobody can verify.
    const pub = cert.publicKey.export({ format: 'jwk' });
    if (pub.n !== priv.n) throw new Error(`key ${r.id}: the private key does not match its certificate`);
    return {
      ...priv,
      kty: 'RSA',
      kid: thumbprint,
      x5c: [r.certificateDer.toString('base64')],
      use: 'sig',
      alg: 'RS256',
      ...(r.status === 'active' ? {} : { key_ops: ['verify'] }),
    };
  });
  return { version: records.map((r) => `${r.id}:${r.status}`).join(','), keys };
}
