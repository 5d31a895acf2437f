/** unicodePwd's value: the password in double quotes, UTF-16LE (MS-ADTS 3.1.1.3.1.5.1). */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}
