import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigInput } from '../../config/schema.js';
import type { EntraDouble } from '../entra/server.js';

/** Graph permissions `gatehouse federation` and `doctor` use (ENTRA.md §1.1; users for the ImmutableID checks). */
export const FEDERATION_ROLES = ['Domain-InternalFederation.ReadWrite.All', 'Domain.Read.All', 'User.Read.All'];

/**
 * The `graph:` section for an app of the double, its CA written into `dir`; `certificate` signs in
 * with the app's certificate (client assertion) instead of its secret.
 */
export async function graphSectionFor(double: EntraDouble, dir: string, credential: 'secret' | 'certificate' = 'secret', roles = FEDERATION_ROLES): Promise<NonNullable<ConfigInput['graph']>> {
  const app = await double.tenant.addApp({ roles });
  await writeFile(join(dir, 'graph-ca.pem'), double.caCertPem);
  const base = { tenantId: double.tenant.id, clientId: app.clientId, authorityHost: double.url, graphUrl: double.url, caFile: join(dir, 'graph-ca.pem') };
  if (credential === 'secret') return { ...base, clientSecret: app.secret };
  await writeFile(join(dir, 'graph-app.crt'), app.certificate.certificatePem);
  await writeFile(join(dir, 'graph-app.key'), app.certificate.privateKeyPem);
  return { ...base, certificate: { certFile: join(dir, 'graph-app.crt'), keyFile: join(dir, 'graph-app.key') } };
}
