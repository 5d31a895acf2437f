import type { Directory, DirectoryUser } from '../../directory/types.js';

/** Users remembered at most; past it the oldest reads are forgotten first (Map keeps insertion order). */
const MAX_USERS = 50_000;

/**
 * The user behind an SSO session, read from AD at most every `rereadMs`: a token from the session
 * would otherwise cost a directory read each (AD FS re-reads the account at each issuance; its
 * cost is what this bounds). Within the interval a user disabled, expired or locked out in AD
 * still gets tokens, so the interval is the most a disabled account keeps its SSO; 0 reads AD for
 * every token. A password sign-in's fresh read counts as a read. Each worker keeps its own.
 */
export class SessionUsers {
  private readonly users = new Map<string, { user: DirectoryUser; readAt: number }>();

  constructor(
    private readonly directory: Directory,
    private readonly rereadMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The user, from memory if read within the interval; null when AD has no such user (not remembered). */
  async get(objectGuid: string): Promise<DirectoryUser | null> {
    const known = this.users.get(objectGuid);
    if (known && this.now() - known.readAt < this.rereadMs) return known.user;
    const user = await this.directory.findUser({ objectGuid });
    if (user) this.remember(user);
    else this.users.delete(objectGuid);
    return user;
  }

  /** A user just read from AD (a password sign-in). */
  remember(user: DirectoryUser): void {
    if (this.rereadMs === 0) return;
    this.users.delete(user.objectGuid);
    if (this.users.size >= MAX_USERS) {
      const oldest = this.users.keys().next();
      if (!oldest.done) this.users.delete(oldest.value);
    }
    this.users.set(user.objectGuid, { user, readAt: this.now() });
  }
}
