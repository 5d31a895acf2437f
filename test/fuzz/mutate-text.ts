import type { Rng } from './prng.js';

/**
 * Character-level mutations, the same for XML and form bodies: flip, insert, delete, duplicate,
 * splice, truncate, case games. Each returns the new text and a step description that goes into a
 * failure message, so a reader sees what was done to the valid input.
 */
export interface Mutated {
  text: string;
  step: string;
}

/** A span [start, end) of the text a mutation is aimed at (the user name, an attribute value…). */
export type Region = readonly [number, number];

/** Characters and sequences that mean something to an XML, URL-encoding, LDAP or C parser. */
export const SPECIALS: readonly string[] = [
  '<', '>', '&', '"', "'", '\0', '\\', '%', '+', ';', '=', '/', '*', '(', ')', '#', '?', '@', ':',
  '&amp;', '&lt;', '&#0;', '&#x41;', '&#65;', '&#x10FFFF;', '&#xD800;', '&bogus;', ']]>', '<!---->', '<![CDATA[x]]>', '<?pi x?>',
  '%00', '%25', '%2B', '%20', '%0A', '%C0%AE', '%E2%82', '%ED%A0%80', '%ZZ', '%u0041',
  '\u00a0', '\u200b', '\ufeff', '\u2028', '\u0130', '\u0131', '\u00df', '\u00e9', '\u0065\u0301', '\uff41', '\ud800', '\udc00', '\u{1f600}',
  '\r\n', '\r', '\n', '\t', ' ', '\x01', '\x1b', '\x7f', '\x85', '\uFFFE',
];

function randomChar(rng: Rng): string {
  return rng.weighted<() => string>([
    [4, () => String.fromCharCode(0x20 + rng.int(0x5f))],
    [2, () => rng.pick(SPECIALS)],
    [1, () => String.fromCharCode(rng.int(0x20))],
    [1, () => String.fromCodePoint(0xa0 + rng.int(0xd7ff - 0xa0))],
  ])();
}

function position(rng: Rng, text: string, region?: Region): number {
  const [start, end] = region ?? [0, text.length];
  return start + rng.int(Math.max(1, end - start + 1));
}

/** A span of at most `max` characters starting inside the region. */
function span(rng: Rng, text: string, region: Region | undefined, max = 64): [number, number] {
  const at = position(rng, text, region);
  return [at, Math.min(text.length, at + rng.length(max))];
}

const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

type TextMutation = (rng: Rng, text: string, region?: Region) => Mutated;

const flip: TextMutation = (rng, text, region) => {
  const at = Math.min(position(rng, text, region), Math.max(0, text.length - 1));
  const c = randomChar(rng);
  return { text: text.slice(0, at) + c + text.slice(at + 1), step: `flip @${at} ${show(text.charAt(at))}→${show(c)}` };
};

const insert: TextMutation = (rng, text, region) => {
  const at = position(rng, text, region);
  const c = rng.chance(0.7) ? rng.pick(SPECIALS) : randomChar(rng).repeat(rng.length(8));
  return { text: text.slice(0, at) + c + text.slice(at), step: `insert @${at} ${show(c)}` };
};

const remove: TextMutation = (rng, text, region) => {
  const [a, b] = span(rng, text, region);
  return { text: text.slice(0, a) + text.slice(b), step: `delete @${a}..${b} ${show(text.slice(a, b))}` };
};

const duplicate: TextMutation = (rng, text, region) => {
  const [a, b] = span(rng, text, region);
  const times = rng.chance(0.9) ? 1 : rng.length(200);
  return { text: text.slice(0, b) + text.slice(a, b).repeat(times) + text.slice(b), step: `duplicate @${a}..${b} ×${times} ${show(text.slice(a, b))}` };
};

/** Two positions joined: the text between them is dropped, or a far part is copied in. */
const splice: TextMutation = (rng, text, region) => {
  const a = position(rng, text, region);
  const b = position(rng, text);
  if (rng.chance(0.5)) {
    const [lo, hi] = a < b ? [a, b] : [b, a];
    return { text: text.slice(0, lo) + text.slice(hi), step: `splice @${lo}|${hi}` };
  }
  const piece = text.slice(b, b + rng.length(80));
  return { text: text.slice(0, a) + piece + text.slice(a), step: `splice-in @${a} from @${b} ${show(piece)}` };
};

const truncate: TextMutation = (rng, text, region) => {
  const at = position(rng, text, region);
  return { text: text.slice(0, at), step: `truncate @${at}` };
};

const swapCase: TextMutation = (rng, text, region) => {
  const [a, b] = span(rng, text, region, 16);
  const part = text.slice(a, b);
  const swapped = rng.chance(0.5) ? part.toUpperCase() : part.toLowerCase();
  return { text: text.slice(0, a) + swapped + text.slice(b), step: `case @${a}..${b} ${show(swapped)}` };
};

const OPERATORS: readonly (readonly [number, TextMutation])[] = [
  [3, flip], [4, insert], [3, remove], [2, duplicate], [1, splice], [1, truncate], [1, swapCase],
];

/** One character-level mutation, inside `region` when given. */
export function mutateText(rng: Rng, text: string, region?: Region): Mutated {
  return rng.weighted(OPERATORS)(rng, text, region);
}

/** Flips one bit of one byte: the only way to make a body that is not valid UTF-8. */
export function flipBit(rng: Rng, bytes: Buffer): { bytes: Buffer; step: string } {
  const copy = Buffer.from(bytes);
  if (copy.length === 0) return { bytes: copy, step: 'bitflip of nothing' };
  const at = rng.int(copy.length);
  const bit = rng.int(8);
  copy[at] = copy[at]! ^ (1 << bit);
  return { bytes: copy, step: `bitflip byte ${at} bit ${bit}` };
}
