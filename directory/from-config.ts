import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { createDirectory } from './index.js';
import { DcPool } from './pool.js';
import type { Directory, LdapTimer } from './types.js';

type LdapConfig = Extract<Config['directory'], { kind: 'ldap' }>;

/** The PEM CA bundle of the DCs' certificates, when one is configured (else the system CAs). */
const caPemOf = async (d: LdapConfig): Promise<string | undefined> => (d.caFile ? readFile(d.caFile, 'utf8') : undefined);

/** What every connection to the configured DCs has in common, whichever account it binds as. */
const dcConnections = (d: LdapConfig) => ({
  dcs: d.dcs,
  startTls: d.startTls,
  connectTimeoutMs: d.connectTimeoutMs,
  operationTimeoutMs: d.operationTimeoutMs,
  retryDownAfterMs: d.retryDownAfterMs,
  poolSize: d.poolSize,
  queueTimeoutMs: d.queueTimeoutMs,
  maxQueued: d.maxQueued,
});

/** The configured directory; `timer` is told of every LDAP operation (the server's /metrics). */
export async function directoryFromConfig(config: Config, log: Logger, timer?: LdapTimer): Promise<Directory> {
  const d = config.directory;
  if (d.kind === 'file') return createDirectory({ kind: 'file', path: d.path, netbiosDomain: d.netbiosDomain });
  const caCertPem = await caPemOf(d);
  return createDirectory({
    kind: 'ldap',
    ...dcConnections(d),
    ...(caCertPem ? { caCertPem } : {}),
    baseDn: d.baseDn,
    groupCacheSeconds: d.groupCacheSeconds,
    serviceAccount: { dn: d.serviceAccount.dn, password: d.serviceAccount.password },
    ...(d.netbiosDomain ? { domainNetbios: d.netbiosDomain } : {}),
    logger: log.child({ part: 'directory' }),
    ...(timer ? { timer } : {}),
  });
}

/**
 * A pool to the configured DCs (the order, TLS, timeouts and failover sign-in has) whose
 * connections are bound as `account`: the sync reader's, bound as the sync account.
 */
export async function dcPoolFromConfig(d: LdapConfig, account: { dn: string; password: string }): Promise<DcPool> {
  const ca = await caPemOf(d);
  return new DcPool({ ...dcConnections(d), tls: ca ? { ca } : {}, serviceAccount: account });
}
