// Variant A/B in the terminal: for each test of a group, the headline metrics of variant B
// against variant A (e.g. patched-qemu against stock-qemu, the report's second experiment), per
// profile and thread count: runs and hosts of each side, the change with its 95 % interval,
// paired or not, and the comparison engine's verdict.
import type { Store } from '../store/store.js';
import { TESTS } from '../../schema/test-types.js';
import { KEY_METRICS } from '../../schema/metrics.js';
import type { MarginSpec } from '../../lib/compare/margin.js';
import { compareVariants, type VariantComparison } from '../overhead/variants.js';
import { formatTable } from './results-table.js';
import { fmtOverheadCell, fmtVerdict } from './format.js';

export interface VariantRow {
  test: string;
  comparison: VariantComparison;
}

export async function variantRows(o: {
  store: Store;
  group: string;
  since: Date;
  variantA: string;
  variantB: string;
  margins?: MarginSpec;
}): Promise<VariantRow[]> {
  const rows: VariantRow[] = [];
  for (const test of TESTS) {
    for (const metric of KEY_METRICS[test]) {
      try {
        for (const comparison of await compareVariants({ ...o, test, metric })) rows.push({ test, comparison });
      } catch (err) {
        if (!/no .* results for variant/.test((err as Error).message)) throw err;
      }
    }
  }
  return rows;
}

const num = (x: number | null) => (x === null ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));
const hosts = (h: string[]) => `${h.length} host${h.length === 1 ? '' : 's'}`;

/** The A/B table's header and cells (the terminal's and markdown's). */
export function variantCells(rows: VariantRow[], a: string, b: string): { header: string[]; body: string[][] } {
  const header = ['test', 'metric', 'virt, profile, threads', `${a} mean (runs, hosts)`, `${b} mean (runs, hosts)`, `${b} vs ${a}`, 'design', 'verdict'];
  const body = rows.map(({ test, comparison: c }) => [
    test,
    `${c.metric} (${c.direction} is better)`,
    `${c.virt}, ${c.profile}, ${c.threads ?? '—'}`,
    `${num(c.meanA)} (${c.runsA}, ${hosts(c.hostsA)})`,
    `${num(c.meanB)} (${c.runsB}, ${hosts(c.hostsB)})`,
    fmtOverheadCell(c.comparison),
    c.paired ? `paired (${c.pairs})` : 'unpaired',
    fmtVerdict(c.comparison),
  ]);
  return { header, body };
}

export function formatVariantTable(rows: VariantRow[], a: string, b: string): string {
  if (rows.length === 0) return `no results of both variants '${a}' and '${b}' in this group and period\n`;
  const { header, body } = variantCells(rows, a, b);
  return formatTable(header, body) + '\n';
}
