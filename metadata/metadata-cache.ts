import { createHash } from 'node:crypto';
import { serviceIdentifier, type Config } from '../config/load.js';
import type { Signer } from '../keys/signer.js';
import { publishedSigningCertificates } from '../keys/signing-keys.js';
import type { Store } from '../store/types.js';
import { adfsEndpoints } from './endpoints.js';
import { signFederationMetadata, type FederationMetadataInput } from './federation-metadata.js';

export interface MetadataDeps {
  config: Pick<Config, 'server' | 'branding'>;
  store: Store;
  /** The active key's signer; a function because a key rollover replaces it at run time (AD FS AutoCertificateRollover). */
  signer: () => Signer;
}

/** A signed document ready to serve, with its strong validator. */
export interface SignedDocument {
  xml: string;
  etag: string;
}

export class MetadataSigningError extends Error {
  override readonly name = 'MetadataSigningError';
}

/**
 * The signed FederationMetadata.xml, built once and re-signed only when what it says changes: the
 * published certificates (active + next, ENTRA.md §1.4), the signing key, or the config it shows.
 * The key is recomputed per request (one key-store read), so a key generated or promoted by another
 * process or farm node shows up on the next fetch. Concurrent requests share one build.
 */
export class FederationMetadataCache {
  private current: { key: string; doc: Promise<SignedDocument> } | undefined;

  constructor(private readonly deps: MetadataDeps) {}

  async get(): Promise<SignedDocument> {
    const published = await publishedSigningCertificates(this.deps.store);
    const signer = this.deps.signer();
    // Signed by a key it publishes, or verifiers refuse it. A node whose key was just demoted
    // (previous, still published) keeps serving until its next refresh instead of failing.
    if (!published.some((k) => k.id === signer.thumbprint && (k.status === 'active' || k.status === 'previous'))) {
      throw new MetadataSigningError(`the signing key ${signer.thumbprint} is not a published key`);
    }
    const input: FederationMetadataInput = {
      entityId: serviceIdentifier(this.deps.config),
      displayName: this.deps.config.branding.organisation,
      endpoints: adfsEndpoints(this.deps.config),
      signingCertificates: published.map((k) => k.certificateDer),
    };
    // Thumbprints stand for the certificates; the rest is everything the document says.
    const key = JSON.stringify([signer.thumbprint, published.map((k) => k.id), input.entityId, input.displayName, input.endpoints]);
    if (this.current?.key !== key) {
      const doc = build(input, signer);
      this.current = { key, doc };
      // A failed build must not stay cached; the next request tries again.
      doc.catch(() => {
        if (this.current?.doc === doc) this.current = undefined;
      });
    }
    return this.current.doc;
  }
}

async function build(input: FederationMetadataInput, signer: Signer): Promise<SignedDocument> {
  const xml = await signFederationMetadata(input, signer);
  return { xml, etag: `"${createHash('sha256').update(xml).digest('base64url')}"` };
}
