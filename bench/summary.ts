import { readFile } from 'node:fs/promises';
import { table, type SummaryRow } from './ceiling.js';

// bench/run.sh's closing table: every benchmark's rows (bench/ceiling.ts summaryRow) in one.
const file = process.argv[2];
if (!file) throw new Error('usage: summary.ts <rows file>');
const rows = (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as SummaryRow);
table(rows.map((r) => ({ bench: r.bench, measure: r.measure, value: r.value, 'p99': r.p99 ?? '', failures: r.failures ?? '', ceiling: r.ceiling, ratio: r.ratio })));
