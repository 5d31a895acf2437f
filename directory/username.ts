/** How the user typed their name on the sign-in form or in a WS-Trust message. */
export type ParsedUsername =
  | { kind: 'upn'; upn: string }
  | { kind: 'sam'; sam: string; domain?: string };

// UPNs and sAMAccountNames are short (sAMAccountName ≤ 20, UPN ≤ 1024 in the schema).
const maxLength = 1024;
const control = /[\u0000-\u001f\u007f]/;

/**
 * Splits `user@suffix`, `DOMAIN\sam` and `sam`. Returns null for input no account can have:
 * empty, over-long, or holding control characters (NUL would cut a C string on the DC side).
 */
export function parseUsername(input: string): ParsedUsername | null {
  if (input.length === 0 || input.length > maxLength || control.test(input)) return null;
  const slash = input.indexOf('\\');
  if (slash >= 0) {
    const domain = input.slice(0, slash);
    const sam = input.slice(slash + 1);
    return domain && sam ? { kind: 'sam', sam, domain } : null;
  }
  if (input.includes('@')) return { kind: 'upn', upn: input };
  return { kind: 'sam', sam: input };
}
