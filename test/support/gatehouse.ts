import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { hashPassword } from '../../directory/file-directory.js';
import { createLogger, type Logger } from '../../health/log.js';
import { derToPem } from '../../keys/certificate.js';
import { makeLocalhostTls } from './pki.js';
import { startGatehouse, type RunningGatehouse } from '../../sts/start.js';
import { readMetadata, signingCertificates } from '../metadata/read-metadata.js';
import type { TestBed } from '../ad/testbed.js';

export interface FileUserSpec {
  upn: string;
  password: string;
  objectGuid: string;
  displayName?: string;
  groups?: string[];
  disabled?: boolean;
}

export interface RunningTestGatehouse {
  url: string;
  config: Config;
  tlsCertPem: string;
  dir: string;
  server: Server;
  runtime: RunningGatehouse['runtime'];
  /** The admin listener's port and the alerts (sts/ops.ts). */
  ops: RunningGatehouse['ops'];
  /**
   * PEM and base64 DER (Graph's signingCertificate form, ENTRA.md §1.2) of the signing certificate
   * as the federation metadata publishes it: what a relying party would configure.
   */
  signingCertificate(): Promise<{ pem: string; base64Der: string }>;
  /** Stops the server and removes its folder; `keepFiles` leaves config and store for CLI runs after the stop. */
  stop(opts?: { keepFiles?: boolean }): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The directory section for a Samba test bed: LDAPS with its CA, the service account. */
export function testBedDirectory(bed: TestBed, caFile: string): ConfigInput['directory'] {
  return {
    kind: 'ldap',
    dcs: [bed.ldapsUrl],
    caFile,
    baseDn: bed.baseDn,
    netbiosDomain: bed.netbios,
    serviceAccount: { dn: bed.service.dn, password: bed.service.password },
  };
}

/**
 * A real Gatehouse on a free loopback port, configured like an operator would (YAML file, TLS
 * certificate, SQLite store). The caller stops it (`after(() => gh.stop())` at suite level: an
 * `after` registered inside a `before` hook would run as soon as that hook ends).
 */
export async function startTestGatehouse(opts: {
  directory: ConfigInput['directory'] | { users: FileUserSpec[] };
  domains?: string[];
  entraReplyUrl?: string;
  trusts?: NonNullable<ConfigInput['trusts']>;
  extra?: Partial<ConfigInput>;
  log?: Logger;
  /** The clock of certificate lifecycle decisions (sts/runtime.ts RuntimeOptions). */
  now?: () => Date;
}): Promise<RunningTestGatehouse> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-server-'));
  const port = await freePort();
  const publicUrl = `https://localhost:${port}`;
  const tls = await makeLocalhostTls();
  const tlsCertPem = tls.certPem;
  await writeFile(join(dir, 'server.crt'), tlsCertPem);
  await writeFile(join(dir, 'server.key'), tls.keyPem);

  let directory: ConfigInput['directory'];
  if ('users' in opts.directory) {
    const users = await Promise.all(
      opts.directory.users.map(async (u) => ({
        upn: u.upn,
        sam: u.upn.split('@')[0]!,
        password: await hashPassword(u.password),
        objectGuid: u.objectGuid,
        displayName: u.displayName ?? u.upn,
        groups: u.groups ?? [],
        disabled: u.disabled ?? false,
      })),
    );
    await writeFile(join(dir, 'users.yaml'), stringify({ users }));
    directory = { kind: 'file', path: 'users.yaml' };
  } else directory = opts.directory;

  const input: ConfigInput = {
    directory,
    federation: { domains: (opts.domains ?? ['corp.example.com']).map((name) => ({ name })) },
    keys: { keyEncryptionKey: Buffer.alloc(32, 3).toString('base64') },
    trusts: opts.trusts ?? [],
    log: { level: 'warn' },
    ...opts.extra,
    server: { publicUrl, listen: { host: '127.0.0.1', port }, tls: { certFile: 'server.crt', keyFile: 'server.key' }, shutdownGraceMs: 1000, ...opts.extra?.server },
    entra: { replyUrl: opts.entraReplyUrl ?? 'https://login.microsoftonline.com/login.srf', ...opts.extra?.entra },
  };
  await writeFile(join(dir, 'gatehouse.yaml'), stringify(input));
  const config = await loadConfig(join(dir, 'gatehouse.yaml'));
  const running = await startGatehouse(config, opts.log ?? createLogger('warn'), opts.now ? { now: opts.now } : {}).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  // Audit writes are queued off the answer's path (health/audit.ts): a test that reads the audit
  // log right after an answer reads what was recorded before it, as a separate process would a moment later.
  const audit = running.runtime.store.audit;
  const recent = audit.recent.bind(audit);
  audit.recent = async (...args) => {
    await running.runtime.audit.flush();
    return recent(...args);
  };
  let stopped = false;
  const stop = async (o: { keepFiles?: boolean } = {}) => {
    if (!stopped) {
      stopped = true;
      await running.stop();
    }
    if (!o.keepFiles) await rm(dir, { recursive: true, force: true });
  };
  const signingCertificate = async () => {
    const res = await fetch(`${publicUrl}/FederationMetadata/2007-06/FederationMetadata.xml`, { dispatcher: new Agent({ connect: { ca: tlsCertPem } }) });
    const base64Der = signingCertificates(readMetadata(await res.text()).idpSso)[0]!;
    return { pem: derToPem(Buffer.from(base64Der, 'base64')), base64Der };
  };
  return { url: publicUrl, config, tlsCertPem, dir, server: running.server, runtime: running.runtime, ops: running.ops, signingCertificate, stop };
}
