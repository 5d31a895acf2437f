import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isMap, isSeq, parse, parseDocument } from 'yaml';
import { z } from 'zod';
import { guidFromBytes, guidToBytes, immutableIdFromBytes, parseObjectGuid } from './guid.js';
import { ownAccount, parseUsername, validPassword, type ParsedUsername } from './credentials.js';
import type { AuthResult, ChangePasswordResult, DcHealth, Directory, DirectoryUser, LocatedAccount, LocateResult, Upn, UserQuery } from './types.js';

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

// scrypt$N$r$p$salt$hash, salt and hash base64. N=2^15, r=8 is OWASP's scrypt floor.
const defaults = { N: 32768, r: 8, p: 1 };
const keyLength = 32;

/** Hashes a password in the file directory's format `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, keyLength, { ...defaults, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', defaults.N, defaults.r, defaults.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Constant-time check of `password` against a `scrypt$…` hash; false for a malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  if (expected.length < 16) return false;
  const options = { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 };
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, options);
  return timingSafeEqual(actual, expected);
}

// The file directory's whole password policy: AD's default minimum length (7) plus one.
const minNewPasswordLength = 8;

const fileUser = z.object({
  upn: z.string().min(3).includes('@'),
  sam: z.string().min(1),
  password: z.string().startsWith('scrypt$'),
  displayName: z.string().optional(),
  givenName: z.string().optional(),
  surname: z.string().optional(),
  mail: z.string().optional(),
  objectGuid: z.string().refine((g) => parseObjectGuid(g) !== null, 'not a GUID'),
  groups: z.array(z.string()).default([]),
  disabled: z.boolean().default(false),
});
const fileSchema = z.object({ users: z.array(fileUser) });
type FileUser = z.infer<typeof fileSchema>['users'][number];

/** What `locate` found: the user's record, or none for a name no account has. */
class FileAccount implements LocatedAccount {
  readonly upn: string | undefined;
  constructor(readonly key: string, readonly user: FileUser | undefined) {
    this.upn = user?.upn;
  }
}

/**
 * AD's default NetBIOS domain name: the first label of the DNS domain, upper-cased, at most 15
 * characters (MS-ADTS 3.1.1.1.5). The file directory has no domain of its own, so a user's is
 * taken from their UPN suffix unless one is configured.
 */
function defaultNetbios(upn: string): string {
  return (upn.split('@')[1] ?? '').split('.')[0]!.toUpperCase().slice(0, 15);
}

/**
 * The embedded directory for machines without AD (demo, tests of upper layers): users in a
 * YAML file with scrypt hashes, answering like the LDAP directory does.
 */
export class FileDirectory implements Directory {
  /** File rewrites one after another, so two changes cannot lose each other's hash. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly users: FileUser[],
    /** Checked when the user does not exist, so both answers take one scrypt (no user enumeration by time). */
    private readonly decoyHash: string,
    /** The NetBIOS domain accepted in DOMAIN\sam; per user from the UPN suffix when unset. */
    private readonly netbiosDomain: string | undefined,
  ) {}

  static async load(path: string, options: { netbiosDomain?: string | undefined } = {}): Promise<FileDirectory> {
    const parsed = fileSchema.safeParse(parse(await readFile(path, 'utf8')));
    if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return new FileDirectory(path, parsed.data.users, await hashPassword(randomBytes(16).toString('base64')), options.netbiosDomain);
  }

  async locate(username: string): Promise<LocateResult> {
    const parsed = parseUsername(username.trim());
    if (!parsed) return { ok: false, reason: 'invalid-input' };
    const user = this.signInUser(parsed);
    if (user) return { ok: true, account: new FileAccount(`guid:${parseObjectGuid(user.objectGuid)}`, user) };
    const name = parsed.kind === 'upn' ? parsed.upn : parsed.domain ? `${parsed.domain}\\${parsed.sam}` : parsed.sam;
    return { ok: true, account: new FileAccount(`name:${name.toLowerCase()}`, undefined) };
  }

  /** The user a typed name signs in as; `OTHERDOMAIN\sam` is nobody (as in AD). */
  private signInUser(parsed: ParsedUsername): FileUser | undefined {
    if (parsed.kind === 'upn') return this.byUpn(parsed.upn);
    const user = this.bySam(parsed.sam);
    if (!user || parsed.domain === undefined) return user;
    return parsed.domain.toUpperCase() === (this.netbiosDomain ?? defaultNetbios(user.upn)).toUpperCase() ? user : undefined;
  }

  /**
   * The user `who` names if `password` is theirs, or why not. An unknown name costs one scrypt
   * too (the decoy hash), so the answer's timing does not tell who exists.
   */
  private async provenUser(who: string | LocatedAccount, password: string): Promise<FileUser | { ok: false; reason: 'no-such-user' | 'bad-password' | 'invalid-input' | 'directory-unavailable'; upn?: string }> {
    const account = await ownAccount(who, FileAccount, (name) => this.locate(name));
    if (!(account instanceof FileAccount)) return account;
    const { user } = account;
    if (!user) {
      await verifyPassword(password, this.decoyHash);
      return { ok: false, reason: 'no-such-user' };
    }
    return (await verifyPassword(password, user.password)) ? user : { ok: false, reason: 'bad-password', upn: user.upn };
  }

  async authenticate(who: string | LocatedAccount, password: string): Promise<AuthResult> {
    if (!validPassword(password)) return { ok: false, reason: 'invalid-input' };
    const user = await this.provenUser(who, password);
    if ('ok' in user) return user;
    if (user.disabled) return { ok: false, reason: 'account-disabled', upn: user.upn };
    return { ok: true, user: this.toUser(user) };
  }

  /** Checks the old password, then rewrites the YAML with the new hash (temp file + rename, so a crash leaves the old file whole). */
  async changePassword(who: string | LocatedAccount, oldPassword: string, newPassword: string): Promise<ChangePasswordResult> {
    if (!validPassword(oldPassword) || !validPassword(newPassword)) return { ok: false, reason: 'invalid-input' };
    const user = await this.provenUser(who, oldPassword);
    if ('ok' in user) return user;
    const { upn } = user;
    if (newPassword.length < minNewPasswordLength || newPassword === oldPassword) return { ok: false, reason: 'policy', upn };
    const hash = await hashPassword(newPassword);
    const write = this.writes.then(() => this.storeHash(upn, hash));
    this.writes = write.catch(() => undefined);
    try {
      await write;
    } catch {
      return { ok: false, reason: 'directory-unavailable', upn };
    }
    return { ok: true, upn };
  }

  private async storeHash(upn: string, hash: string): Promise<void> {
    // parseDocument keeps the operator's comments and layout; only the one hash changes.
    const doc = parseDocument(await readFile(this.path, 'utf8'));
    const users = doc.get('users');
    if (!isSeq(users)) throw new Error(`${this.path}: users is not a list`);
    const node = users.items.find((item) => isMap(item) && String(item.get('upn')).toLowerCase() === upn.toLowerCase());
    if (!isMap(node)) throw new Error(`${this.path}: ${upn} is gone from the file`);
    node.set('password', hash);
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, doc.toString(), { mode: 0o600, flag: 'wx' });
    await rename(temp, this.path);
    const user = this.byUpn(upn);
    if (user) user.password = hash;
  }

  async findUser(query: UserQuery): Promise<DirectoryUser | null> {
    let found: FileUser | undefined;
    if ('upn' in query) found = this.byUpn(query.upn);
    else if ('sam' in query) found = this.bySam(query.sam);
    else if ('objectGuid' in query) found = this.users.find((u) => parseObjectGuid(u.objectGuid) === parseObjectGuid(query.objectGuid));
    // The file directory holds no altSecurityIdentities: a certificate maps there by its UPN only.
    else found = undefined;
    return found ? this.toUser(found) : null;
  }

  async checkHealth(): Promise<DcHealth[]> {
    return [{ dc: `file:${this.path}`, ok: true, ms: 0 }];
  }

  async close(): Promise<void> {}

  private byUpn(upn: string): FileUser | undefined {
    const wanted = upn.toLowerCase();
    return this.users.find((u) => u.upn.toLowerCase() === wanted);
  }

  private bySam(sam: string): FileUser | undefined {
    const wanted = sam.toLowerCase();
    return this.users.find((u) => u.sam.toLowerCase() === wanted);
  }

  private toUser(u: FileUser): DirectoryUser {
    const bytes = guidToBytes(u.objectGuid) as Buffer; // validated by the schema
    const user: DirectoryUser = {
      dn: `CN=${u.sam},file`,
      objectGuid: guidFromBytes(bytes),
      immutableId: immutableIdFromBytes(bytes),
      upn: u.upn as Upn,
      samAccountName: u.sam,
      groups: u.groups.map((name) => ({ dn: `CN=${name},file`, name })),
      accountState: u.disabled ? 'disabled' : 'enabled',
      attributes: { userPrincipalName: [u.upn], sAMAccountName: [u.sam] },
    };
    if (u.displayName) user.displayName = u.displayName;
    if (u.givenName) user.givenName = u.givenName;
    if (u.surname) user.surname = u.surname;
    if (u.mail) user.mail = u.mail;
    return user;
  }
}
