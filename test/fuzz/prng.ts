import { randomInt } from 'node:crypto';

/**
 * A seeded PRNG (mulberry32: 32 bits of state, good enough to choose mutations) and the choices
 * the fuzzer makes with it. Every iteration gets its own generator from (run seed, iteration), so
 * an iteration's mutations are the same on a rerun whatever order concurrent requests finish in.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** One of `items` with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    let r = this.next() * items.reduce((sum, [w]) => sum + w, 0);
    for (const [w, item] of items) if ((r -= w) < 0) return item;
    return items[items.length - 1]![1];
  }

  /** A length in [1, max], small ones far more often (log-uniform): most edits are a few characters. */
  length(max: number): number {
    return Math.max(1, Math.min(max, Math.floor(Math.exp(this.next() * Math.log(max + 1)))));
  }

  /** A hex string of `n` digits, for message ids that stay the same on a rerun. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.int(16).toString(16);
    return s;
  }
}

/** The run's seed: GATEHOUSE_FUZZ_SEED (decimal or 0x…) to repeat a run, else a fresh random one. */
export function runSeed(env = process.env.GATEHOUSE_FUZZ_SEED): number {
  if (env === undefined || env === '') return randomInt(2 ** 32);
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`GATEHOUSE_FUZZ_SEED=${env} is not a non-negative integer`);
  return n >>> 0;
}

/** The generator of iteration `i` of a run (`stream` keeps the RST and login runs apart). */
export function iterationRng(seed: number, stream: number, i: number): Rng {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35) ^ Math.imul(i + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return new Rng((h ^ (h >>> 16)) >>> 0);
}
