import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'ldapts';
import { promisify } from 'node:util';
import { ldapDirectory } from '../../config/schema.js';
import { createDirectory as createConfiguredDirectory, type DirectoryOptions } from '../../directory/index.js';
import { LdapDirectory, type LdapDirectoryOptions } from '../../directory/ldap-directory.js';
import type { Directory } from '../../directory/types.js';
import { createUser, type FixtureSpec, type FixtureUser } from '../ad/fixtures.js';
import type { TestBed } from '../ad/testbed.js';

const run = promisify(execFile);

export interface LogLine { level: 'info' | 'warn' | 'error'; obj: object; msg?: string }

/** A pino-shaped logger that keeps its lines, so tests can read what the directory reported. */
export function memoryLogger(): { lines: LogLine[]; logger: LdapDirectoryOptions['logger'] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg?: string) => { lines.push({ level, obj, ...(msg ? { msg } : {}) }); };
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/** The LDAP tuning a test does not set, as config/schema.ts defaults it (the one place a default lives). */
export const ldapDefaults = ldapDirectory
  .pick({ startTls: true, connectTimeoutMs: true, operationTimeoutMs: true, retryDownAfterMs: true, poolSize: true, queueTimeoutMs: true, maxQueued: true, groupCacheSeconds: true })
  .parse({});

type LdapTuning = keyof typeof ldapDefaults;

/** `createDirectory`, with the schema's defaults for the tuning a test leaves out. */
export function createDirectory(options: Exclude<DirectoryOptions, { kind: 'ldap' }> | ({ kind: 'ldap' } & Omit<LdapDirectoryOptions, LdapTuning> & Partial<Pick<LdapDirectoryOptions, LdapTuning>>)): Promise<Directory> {
  return createConfiguredDirectory(options.kind === 'ldap' ? { ...ldapDefaults, ...options } : options);
}

export function directoryFor(bed: TestBed, overrides: Partial<LdapDirectoryOptions> = {}): LdapDirectory {
  return new LdapDirectory({
    ...ldapDefaults,
    dcs: [bed.ldapsUrl],
    caCertPem: bed.caCertPem,
    baseDn: bed.baseDn,
    serviceAccount: { dn: bed.service.dn, password: bed.service.password },
    domainNetbios: bed.netbios,
    ...overrides,
  });
}

/**
 * base64 of a user's objectGUID bytes as Samba itself has them: the GUID string ldbsearch reads
 * from sam.ldb, packed by Samba's own NDR code (not ours).
 */
export async function sambaObjectGuidBase64(bed: TestBed, sam: string): Promise<{ guid: string; base64: string }> {
  const { stdout } = await run('ldbsearch', ['-H', bed.samLdbPath, `(sAMAccountName=${sam})`, 'objectGUID']);
  const guid = /^objectGUID: (\S+)$/m.exec(stdout)?.[1];
  if (!guid) throw new Error(`ldbsearch found no objectGUID for ${sam}`);
  const script = 'from samba.dcerpc import misc; from samba.ndr import ndr_pack; import base64,sys; print(base64.b64encode(ndr_pack(misc.GUID(sys.argv[1]))).decode())';
  const packed = await run('/usr/bin/python3', ['-c', script, guid]);
  return { guid, base64: packed.stdout.trim() };
}

/**
 * A fresh enabled user of the calling test (name `prefix` + random hex) with extra attributes set
 * at creation, e.g. altSecurityIdentities for certificate mapping; made as the domain admin.
 */
export async function createTestUser(bed: TestBed, prefix: string, attrs: Record<string, string | Buffer> = {}, expected: FixtureSpec['expected'] = 'ok', userAccountControl?: number): Promise<FixtureUser> {
  const admin = new Client({ url: bed.ldapsUrl, tlsOptions: { ca: bed.caCertPem }, timeout: 10_000 });
  try {
    await admin.bind(bed.admin.dn, bed.admin.password);
    const sam = `${prefix}${randomBytes(3).toString('hex')}`;
    return await createUser({ client: admin, baseDn: bed.baseDn, realm: bed.realm }, { key: sam, sam, expected, attrs, ...(userAccountControl !== undefined ? { userAccountControl } : {}) }, undefined, bed.ldapsUrl, bed.caCertPem);
  } finally {
    await admin.unbind();
  }
}
