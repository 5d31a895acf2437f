import { FileDirectory } from './file-directory.js';
import { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory.js';
import type { Directory } from './types.js';

export type DirectoryOptions = ({ kind: 'ldap' } & LdapDirectoryOptions) | { kind: 'file'; path: string; netbiosDomain?: string | undefined };

/** The configured directory: Active Directory over LDAP, or the embedded YAML file. */
export async function createDirectory(options: DirectoryOptions): Promise<Directory> {
  if (options.kind === 'file') return FileDirectory.load(options.path, { netbiosDomain: options.netbiosDomain });
  const { kind: _kind, ...ldap } = options;
  return new LdapDirectory(ldap);
}

export { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory.js';
export { FileDirectory, hashPassword, verifyPassword } from './file-directory.js';
export { DirectoryUnavailable, type DcState } from './pool.js';
export { guidFromBytes, guidToBytes, immutableIdFromBytes, parseObjectGuid } from './guid.js';
export type * from './types.js';
