// What else ran while each system was measured (issue 22 item 6, docs/noise.md): one line per
// system of the report's period with the median of its daily medians of steal, contention and load, and
// how many of its trials the agent judged disturbed — the first things to look at when a number
// looks wrong. In the report's data (JSON) and under its table.
import { median } from '../../lib/stats/stats.js';
import type { NoiseField } from '../../schema/noise.js';
import type { SysbenchRow } from '../overhead/rows.js';
import { seriesKey } from '../influx/line.js';
import { dayOf } from '../rollup/daily.js';

export interface SystemNoise {
  /** As the report labels the system (layout.ts systemOf). */
  label: string;
  agent: string;
  variant: string;
  /** Successful trials in the period, and how many of them the agent judged (recorded noise). */
  trials: number;
  judged: number;
  /** Judged disturbed (steal or contention > 5 % of the CPU time the trial wanted). */
  disturbed: number;
  /**
   * Medians of the signal over the system's series-days: per series, thread count and UTC day the
   * median of its successful trials' values, then the median of those (the daily rollup
   * sysbench_report_1d holds the first, so a year is read as days, not trials); null where no
   * trial recorded the signal.
   */
  medianStealPct: number | null;
  medianContentionPct: number | null;
  medianLoad1: number | null;
  medianCpuMhz: number | null;
}

/** Per system (in the order `labelOf` first meets them), over its successful trials at or after sinceNs. */
export function noiseBySystem(rows: readonly SysbenchRow[], labelOf: (r: SysbenchRow) => string, sinceNs: bigint): SystemNoise[] {
  const by = new Map<string, SysbenchRow[]>();
  for (const r of rows) {
    if (!r.ok || r.timeNs < sinceNs) continue;
    const label = labelOf(r);
    // Appended in place: copying a system's rows for each of its rows was quadratic over a year.
    const list = by.get(label);
    if (list) list.push(r);
    else by.set(label, [r]);
  }
  const med = (rs: readonly SysbenchRow[], f: NoiseField) => {
    const days = new Map<string, number[]>();
    for (const r of rs) {
      const v = r.noise[f];
      if (v === undefined) continue;
      const key = `${seriesKey('sysbench', r.tags)} ${r.threads ?? ''} ${dayOf(r.timeNs)}`;
      const list = days.get(key);
      if (list) list.push(v);
      else days.set(key, [v]);
    }
    return days.size ? median([...days.values()].map(median)) : null;
  };
  return [...by].map(([label, rs]) => ({
    label,
    agent: rs[0]!.tags.agent ?? '',
    variant: rs[0]!.tags.variant || 'default',
    trials: rs.length,
    judged: rs.filter((r) => r.disturbed !== null).length,
    disturbed: rs.filter((r) => r.disturbed === true).length,
    medianStealPct: med(rs, 'steal_pct'),
    medianContentionPct: med(rs, 'contention_pct'),
    medianLoad1: med(rs, 'load1'),
    medianCpuMhz: med(rs, 'cpu_mhz'),
  }));
}

const num = (v: number | null, digits: number, unit = '') => (v === null ? '—' : `${v.toFixed(digits)}${unit}`);

/**
 * What a noise line's steal, contention, load and MHz are (SystemNoise's medians), said once in the
 * section's heading: not a median over the trials, which a line's "median steal" suggested.
 */
export const NOISE_MEDIANS_ARE = "each the median of the system's daily medians (per series, thread count and UTC day)";

/** The lines under the report's table: one per system. */
export function formatNoiseLines(noise: readonly SystemNoise[], excluded: boolean): string {
  if (noise.length === 0) return '';
  const out = [
    '',
    `== noise during the trials (docs/noise.md; steal, contention, load, MHz: ${NOISE_MEDIANS_ARE}; disturbed: steal or contention > 5 %${excluded ? ', LEFT OUT of the comparisons' : ', kept in the comparisons'}) ==`,
  ];
  const width = Math.max(...noise.map((n) => [...n.label].length));
  for (const n of noise) {
    const head = n.label + ' '.repeat(width - [...n.label].length);
    if (n.judged === 0) {
      out.push(`${head}   ${n.trials} trials, no noise recorded (agent before issue 22)`);
      continue;
    }
    const mhz = n.medianCpuMhz === null ? '' : `, ${num(n.medianCpuMhz, 0)} MHz`;
    out.push(
      `${head}   steal ${num(n.medianStealPct, 1, ' %')}, contention ${num(n.medianContentionPct, 1, ' %')}, load ${num(n.medianLoad1, 2)}${mhz}; disturbed ${n.disturbed} of ${n.judged} trials${excluded && n.disturbed > 0 ? ' (left out)' : ''}`,
    );
  }
  return out.join('\n') + '\n';
}
