import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { createDirectory } from './index.js';
import type { Directory } from './types.js';

export async function directoryFromConfig(config: Config, log: Logger): Promise<Directory> {
  const d = config.directory;
  if (d.kind === 'file') return createDirectory({ kind: 'file', path: d.path, netbiosDomain: d.netbiosDomain });
  return createDirectory({
    kind: 'ldap',
    dcs: d.dcs,
    startTls: d.startTls,
    ...(d.caFile ? { caCertPem: await readFile(d.caFile, 'utf8') } : {}),
    baseDn: d.baseDn,
    serviceAccount: { dn: d.serviceAccount.dn, password: d.serviceAccount.password },
    ...(d.netbiosDomain ? { domainNetbios: d.netbiosDomain } : {}),
    connectTimeoutMs: d.connectTimeoutMs,
    operationTimeoutMs: d.operationTimeoutMs,
    retryDownAfterMs: d.retryDownAfterMs,
    logger: log.child({ part: 'directory' }),
  });
}
