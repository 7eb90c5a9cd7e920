// Variant A/B in the terminal: for each test of a group, the headline metrics of variant B
// against variant A (e.g. patched-qemu against stock-qemu, the report's second experiment):
// the change, its 95 % interval and the comparison engine's verdict.
import type { InfluxDB } from 'influx';
import { TESTS } from '../../schema/sysbench.js';
import { KEY_METRICS } from '../../schema/metrics.js';
import { compareVariants, type VariantComparison } from '../overhead/variants.js';
import { formatTable } from './results-table.js';
import { fmtOverheadCell, fmtVerdict } from './format.js';

export interface VariantRow {
  test: string;
  comparison: VariantComparison;
}

export async function variantRows(o: {
  influx: InfluxDB;
  database: string;
  group: string;
  since: Date;
  variantA: string;
  variantB: string;
  marginPct?: number | null;
}): Promise<VariantRow[]> {
  const rows: VariantRow[] = [];
  for (const test of TESTS) {
    for (const metric of KEY_METRICS[test]) {
      try {
        rows.push({ test, comparison: await compareVariants({ ...o, test, metric }) });
      } catch (err) {
        if (!/no .* results for variant/.test((err as Error).message)) throw err;
      }
    }
  }
  return rows;
}

const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));

export function formatVariantTable(rows: VariantRow[], a: string, b: string): string {
  if (rows.length === 0) return `no results of both variants '${a}' and '${b}' in this group and period\n`;
  const header = ['test', 'metric', `${a} mean (n)`, `${b} mean (n)`, `${b} vs ${a}`, 'verdict'];
  const body = rows.map(({ test, comparison: c }) => [
    test,
    `${c.metric} (${c.direction} is better)`,
    `${num(c.meanA)} (${c.nA})`,
    `${num(c.meanB)} (${c.nB})`,
    fmtOverheadCell(c.comparison),
    fmtVerdict(c.comparison),
  ]);
  return formatTable(header, body) + '\n';
}
