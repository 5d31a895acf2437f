import { generateKeyPairSync, sign } from 'node:crypto';
import { appendFileSync } from 'node:fs';

/** Raw RSA-2048 SHA-256 signatures per second on one core: the ceiling of token issuance (ARCHITECTURE.md "Cost model"). */
export function rsaSignaturesPerSecond(durationMs = 2000): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.alloc(600, 7);
  for (let i = 0; i < 50; i++) sign('sha256', data, privateKey);
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(durationMs) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 20; i++) sign('sha256', data, privateKey);
    n += 20;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}

export function table(rows: Record<string, string | number>[]): void {
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
}

/** One row of `npm run bench`'s closing table: a figure and the ceiling it was measured against in the same run. */
export interface SummaryRow {
  bench: string;
  measure: string;
  value: string;
  p99?: string;
  failures?: string;
  ceiling: string;
  ratio: string;
}

/** Hands a row to bench/run.sh (BENCH_SUMMARY names its file), which prints all benchmarks' rows as one table at the end. */
export function summaryRow(row: SummaryRow): void {
  const file = process.env.BENCH_SUMMARY;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}
