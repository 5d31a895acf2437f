import type { AuthResult, Directory } from '../../directory/types.js';

export type PasswordFailure = Exclude<AuthResult, { ok: true }>['reason'];

/**
 * The forms / WS-Trust username method. The user name is trimmed and capped before it reaches the
 * directory; the directory escapes it and refuses empty passwords (an empty bind is anonymous).
 */
export async function checkPassword(directory: Directory, username: unknown, password: unknown): Promise<AuthResult> {
  if (typeof username !== 'string' || typeof password !== 'string') return { ok: false, reason: 'invalid-input' };
  const name = username.trim();
  if (name.length === 0 || name.length > 256 || password.length === 0 || password.length > 512) return { ok: false, reason: 'invalid-input' };
  // A NUL ends the string in AD's C code paths; never let one reach a bind.
  if (password.includes('\0')) return { ok: false, reason: 'invalid-input' };
  return directory.authenticate(name, password);
}
