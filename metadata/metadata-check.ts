import { X509Certificate } from 'node:crypto';
import { fail, pass, type DoctorCheck } from '../health/doctor.js';
import type { publicEndpointClient } from '../health/endpoint-checks.js';
import { thumbprintOf } from '../keys/certificate.js';
import { publishedSigningCertificates } from '../keys/signing-keys.js';
import type { Store } from '../store/types.js';
import { DSIG_NS } from '../xml/dsig.js';
import { SignatureRejected, verifyEnveloped } from '../xml/verify.js';
import { MD } from './federation-metadata.js';

/**
 * FederationMetadata.xml as Entra fetches it — at the lower-case URL it polls before a certificate
 * expires (ENTRA.md §1.4) — signed by a key we publish (verified by xml/verify.ts, key from our
 * store, never from KeyInfo), and listing every certificate relying parties must accept now.
 */
export function metadataCheck(metadataUrl: string, store: () => Store, client: ReturnType<typeof publicEndpointClient>): DoctorCheck {
  const url = new URL(metadataUrl);
  url.pathname = url.pathname.toLowerCase();
  return {
    name: 'metadata',
    run: async () => {
      const published = await publishedSigningCertificates(store());
      const res = await client.get(url.href);
      if (res.status !== 200) return fail(`${url.href} answered ${res.status}`, 'see the server log; relying parties and Entra’s certificate rollover read this document');
      let verified;
      try {
        verified = verifyEnveloped(res.text, { expect: { ns: MD.uri, name: 'EntityDescriptor' }, keys: published.map((k) => new X509Certificate(k.certificateDer).publicKey) });
      } catch (err) {
        if (!(err instanceof SignatureRejected)) throw err;
        return fail(`${url.href} is not signed by a published key: ${err.message}`, 'is another server answering at server.publicUrl? Otherwise restart this one');
      }
      const listed = new Set(Array.from(verified.document.getElementsByTagNameNS(DSIG_NS, 'X509Certificate')).map((c) => thumbprintOf(Buffer.from(c.textContent ?? '', 'base64'))));
      const missing = published.filter((k) => !listed.has(k.id));
      if (missing.length > 0) return fail(`${url.href} does not list ${missing.map((k) => `${k.id} (${k.status})`).join(', ')}`, 'restart the server so it serves the current keys');
      return pass(`${url.href} signed by ${published[verified.keyIndex]!.id}, lists ${listed.size} certificate(s)`);
    },
  };
}
