import { Router } from 'express';
import { AdfsPath } from '../../metadata/endpoints.js';
import { FederationMetadataCache, type MetadataDeps } from '../../metadata/metadata-cache.js';
import { mexDocument } from '../../metadata/mex.js';

// The SAML metadata media type (saml-metadata §4.1.1), which is also what AD FS answers with.
const CONTENT_TYPE = 'application/samlmetadata+xml';
// Partners poll (Entra daily once a certificate nears expiry, ENTRA.md §1.4); an hour's caching with
// a strong ETag keeps a new next key visible the same day while revalidation stays cheap.
const CACHE_CONTROL = 'public, max-age=3600';

/**
 * GET `/FederationMetadata/2007-06/FederationMetadata.xml`, matched case-insensitively because
 * Entra polls it in lower case (ENTRA.md §1.4), and GET `/adfs/services/trust/mex` (ENTRA.md §6.6),
 * built once: it changes only with the config. Express answers HEAD and If-None-Match (304) itself.
 */
export function metadataRouter(deps: MetadataDeps): Router {
  const cache = new FederationMetadataCache(deps);
  const mex = mexDocument(deps.config.server.publicUrl);
  const r = Router({ caseSensitive: false, strict: false });
  r.get(AdfsPath.federationMetadata, async (_req, res) => {
    const doc = await cache.get();
    res.set({ 'Content-Type': `${CONTENT_TYPE}; charset=utf-8`, ETag: doc.etag, 'Cache-Control': CACHE_CONTROL }).send(doc.xml);
  });
  r.get(AdfsPath.mex, (_req, res) => {
    res.status(200).set('Cache-Control', 'public, max-age=3600').type('text/xml; charset=utf-8').send(mex);
  });
  return r;
}
