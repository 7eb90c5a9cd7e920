// The short table `agent --once` and `agent --dry-run` end with: per test, the trials that ran
// and the headline metric's mean and spread, so a person at a terminal sees what was measured.
import { primaryMetric } from '../schema/metrics.js';
import { mean, rsd } from '../lib/stats/stats.js';
import type { Progress } from './progress.js';
import type { TestName } from './sysbench/fields.js';

interface Row {
  ok: number;
  failed: number;
  metric?: string;
  values: number[];
}

export class RunSummary implements Progress {
  private rows = new Map<TestName, Row>();

  startSuite(): void {
    this.rows.clear();
  }
  startTest(): void {}
  endTest(test: TestName, _trial: number, ok: boolean, fields?: Readonly<Record<string, number>>): void {
    const row = this.rows.get(test) ?? { ok: 0, failed: 0, values: [] };
    this.rows.set(test, row);
    if (!ok || !fields) {
      row.failed++;
      return;
    }
    row.ok++;
    const metric = row.metric ?? primaryMetric(test, fields);
    if (metric && typeof fields[metric] === 'number') {
      row.metric = metric;
      row.values.push(fields[metric]);
    }
  }

  /** The table as text (a trailing newline), or '' when nothing ran. */
  format(): string {
    if (this.rows.size === 0) return '';
    const lines = [['test', 'trials', 'metric', 'mean', 'spread (RSD)']];
    for (const [test, r] of this.rows) {
      const trials = `${r.ok}${r.failed ? ` (+${r.failed} failed)` : ''}`;
      const m = r.values.length ? mean(r.values) : null;
      const spread = r.values.length >= 2 && m ? `${(rsd(r.values) * 100).toFixed(1)} %` : '-';
      lines.push([test, trials, r.metric ?? '-', m === null ? '-' : formatNumber(m), spread]);
    }
    const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
    return (
      lines
        .map((l) =>
          l
            .map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
            .join('  ')
            .trimEnd(),
        )
        .join('\n') + '\n'
    );
  }
}

/** Four significant digits at most, thousands grouped: 41511.23 → "41 511", 0.01234 → "0.01234". */
function formatNumber(n: number): string {
  if (n === 0) return '0';
  const digits = Math.max(0, 4 - Math.floor(Math.log10(Math.abs(n))) - 1);
  const [int, frac] = n.toFixed(Math.min(digits, 6)).split('.');
  return int!.replace(/\B(?=(\d{3})+(?!\d))/g, ' ') + (frac ? `.${frac}` : '');
}
