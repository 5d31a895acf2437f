import { issuerFor, type Config } from '../config/load.js';
import type { DomainFederationSettings } from '../entra/domains.js';
import { publishedSigningCertificates } from '../keys/signing-keys.js';
import { adfsEndpoints } from '../metadata/endpoints.js';
import type { Store } from '../store/types.js';

/** One configured domain and the federation configuration Entra should hold for it. */
export interface DesiredFederation {
  domain: string;
  settings: DomainFederationSettings;
}

export class NoSigningKey extends Error {
  constructor() {
    super('no active signing key: start the server once or run `gatehouse keys generate`');
  }
}

/**
 * The `internalDomainFederation` of every configured domain, built from our own state as Entra
 * Connect's federation wizard builds it from AD FS (ENTRA.md §1.2): the AD FS endpoint URLs of
 * `server.publicUrl`, the domain's issuer (§4.1), the active signing certificate and the next one
 * when there is one (§1.4), and the choices of the `federation:` section.
 */
export async function desiredFederations(config: Pick<Config, 'server' | 'federation'>, store: Store): Promise<DesiredFederation[]> {
  const published = await publishedSigningCertificates(store);
  const active = published.find((k) => k.status === 'active');
  if (!active) throw new NoSigningKey();
  const next = published.find((k) => k.status === 'next');
  const urls = adfsEndpoints(config);
  const f = config.federation;
  return f.domains.map((domain) => ({
    domain: domain.name.toLowerCase(),
    settings: {
      displayName: f.displayName,
      issuerUri: issuerFor(domain),
      passiveSignInUri: urls.passive,
      // MSAL.NET only finds the 2005 endpoint in an AD FS-shaped MEX (ENTRA.md §6.1); Microsoft's example uses it too (§1.2).
      activeSignInUri: urls.usernameMixed2005,
      metadataExchangeUri: urls.mex,
      // AD FS signs out at its passive endpoint (wsignout1.0), which is Microsoft's example too (ENTRA.md §1.2, §2.10).
      signOutUri: urls.passive,
      // ENTRA.md §1.2: plain base64 of the DER, no PEM armour.
      signingCertificate: active.certificateDer.toString('base64'),
      nextSigningCertificate: next ? next.certificateDer.toString('base64') : null,
      preferredAuthenticationProtocol: f.preferredAuthenticationProtocol,
      federatedIdpMfaBehavior: f.federatedIdpMfaBehavior,
      promptLoginBehavior: f.promptLoginBehavior,
      isSignedAuthenticationRequestRequired: f.isSignedAuthenticationRequestRequired,
    },
  }));
}
