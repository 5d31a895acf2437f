/** Binary SID (MS-DTYP 2.4.2.2) → `S-1-5-21-…`. */
export function sidToString(bytes: Buffer): string | null {
  if (bytes.length < 8) return null;
  const revision = bytes.readUInt8(0);
  const count = bytes.readUInt8(1);
  if (bytes.length !== 8 + 4 * count) return null;
  const authority = bytes.readUIntBE(2, 6);
  const parts = [`S-${revision}-${authority}`];
  for (let i = 0; i < count; i++) parts.push(String(bytes.readUInt32LE(8 + 4 * i)));
  return parts.join('-');
}
