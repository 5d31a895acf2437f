import { initConfig } from '../config/init.js';
import type { ConfigInput } from '../config/schema.js';
import { selfSignedTlsPem } from '../keys/certificate.js';

export async function initCommand(o: {
  config: string;
  publicUrl: string;
  domain: string[];
  dc?: string[];
  baseDn?: string;
  serviceDn?: string;
  servicePasswordEnv: string;
  caFile?: string;
  usersFile?: string;
  force?: boolean;
}): Promise<void> {
  let directory: ConfigInput['directory'];
  if (o.usersFile) directory = { kind: 'file', path: o.usersFile };
  else {
    if (!o.dc || !o.baseDn || !o.serviceDn) throw new Error('give --dc, --base-dn and --service-dn (or --users-file)');
    directory = {
      kind: 'ldap',
      dcs: o.dc,
      baseDn: o.baseDn,
      serviceAccount: { dn: o.serviceDn, password: { env: o.servicePasswordEnv } },
      ...(o.caFile ? { caFile: o.caFile } : {}),
    };
  }
  const tls = await selfSignedTlsPem(new URL(o.publicUrl).hostname);
  const { file, tlsCert } = await initConfig({ file: o.config, publicUrl: o.publicUrl, domains: o.domain, directory, tls, force: o.force ?? false });
  process.stdout.write(`wrote ${file} and a self-signed TLS certificate ${tlsCert}\n`);
}
