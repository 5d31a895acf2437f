/** Longest password we pass on: AD's own limit is 256 characters (MS-ADTS 3.1.1.3.1.5). */
const maxPasswordLength = 256;

/**
 * Input a password change may carry to a directory: both passwords non-empty strings, bounded,
 * without NUL (it would cut the value in the DC's C code), and a user name of sane length.
 */
export function validChangeInput(username: unknown, oldPassword: unknown, newPassword: unknown): boolean {
  if (typeof username !== 'string' || typeof oldPassword !== 'string' || typeof newPassword !== 'string') return false;
  const name = username.trim();
  if (name.length === 0 || name.length > 256) return false;
  return [oldPassword, newPassword].every((p) => p.length > 0 && p.length <= maxPasswordLength && !p.includes('\0'));
}

/** unicodePwd's value: the password in double quotes, UTF-16LE (MS-ADTS 3.1.1.3.1.5.1). */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}
