// Reads `sysbench` points back as plain rows (tags, fields, ns timestamp): through the store
// (calculators) or the `influx` client (the report).
import { RESOLUTION_SUFFIX } from '../../schema/influx.js';
import type { ResultField } from '../../schema/sysbench.js';
import { MEASUREMENTS } from '../../schema/influx.js';
import type { Row, Selection, Store, Where } from '../store/store.js';
import { NOISE_BOUNDS, type NoiseField, type TrialNoise } from '../../schema/noise.js';
import { OVERHEAD_METRICS } from '../../schema/metrics.js';

/** The tags of a `sysbench` point (schema/influx.ts). */
export const SYSBENCH_TAGS = MEASUREMENTS.sysbench.tags;

export interface SysbenchRow {
  timeNs: bigint;
  tags: Record<string, string>;
  runId: string;
  threads: number | null;
  ok: boolean;
  /** The `parent_agent` field (nested stacks); null when the agent declared none. */
  parent: string | null;
  values: Partial<Record<ResultField, number>>;
  /** The step each value was printed at (field `<metric>_resolution`), where the agent recorded it. */
  resolution: Partial<Record<ResultField, number>>;
  /** The trial's noise signals (schema/noise.ts), where the agent recorded them. */
  noise: TrialNoise;
  /** Whether the agent judged the trial disturbed (field `disturbed`); null when it did not judge (older agents). */
  disturbed: boolean | null;
}

/** The `sysbench` rows a store holds where `where` says, with the fields the calculators compare, typed; a result stamped with a wrong clock left out (sysbenchRows). */
export async function selectSysbench(store: Store, where: Where): Promise<SysbenchRow[]> {
  return sysbenchRows(await store.select(sysbenchSelection(where)));
}

/**
 * The fields the calculators read of a trial (compute.ts, disturbed.ts, chain/): its run, thread
 * count, state, flags and parent, and every compared metric with its printing step. Not its noise
 * signals, ids, hashes or error text: `SELECT *` also answers every field any test ever wrote (as
 * nulls), and a group's weeks of that were most of the collector's garbage (issue 26).
 */
export const COMPARED_FIELDS: readonly string[] = [
  'run_id',
  'threads',
  'ok',
  'disturbed',
  'clock_skew_s',
  'parent_agent',
  ...OVERHEAD_METRICS.flatMap((m) => [m, `${m}${RESOLUTION_SUFFIX}`]),
];

/** The store selection of the fields the calculators compare (COMPARED_FIELDS) of `sysbench` points where `where` says (for a batch of selects: selectMany). */
export function sysbenchSelection(where: Where): Selection {
  return { measurement: 'sysbench', where, fields: COMPARED_FIELDS };
}

/**
 * Store rows of `sysbench` typed (failed trials kept, ok=false). A result stored with
 * clock_skew_s is left out: its time is not when it was measured, so it is compared with
 * nothing and is nobody's latest (the report lists such agents: report/clocks.ts).
 */
export function sysbenchRows(rows: readonly Row[]): SysbenchRow[] {
  // The store's rows of one series share one tags object: typed once per series, not per row
  // (a year of a fleet's trials is hundreds of thousands of rows and a few thousand series).
  const typed = new Map<object, Record<string, string>>();
  const tagsOf = (r: Row) => typed.get(r.tags) ?? typed.set(r.tags, typedTags(r.tags)).get(r.tags)!;
  return rows.filter((r) => typeof r.fields.clock_skew_s !== 'number').map((r) => sysbenchRow(r.timeNs, tagsOf(r), r.fields));
}

function typedTags(rowTags: Readonly<Record<string, unknown>>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of SYSBENCH_TAGS) tags[t] = typeof rowTags[t] === 'string' ? (rowTags[t] as string) : '';
  return tags;
}

function sysbenchRow(timeNs: bigint, tags: Record<string, string>, fields: Readonly<Record<string, unknown>>): SysbenchRow {
  const values: Partial<Record<ResultField, number>> = {};
  const resolution: Partial<Record<ResultField, number>> = {};
  const noise: TrialNoise = {};
  for (const k in fields) {
    const v = fields[k];
    if (typeof v !== 'number' || k === 'trial' || k === 'threads') continue;
    if (k in NOISE_BOUNDS) noise[k as NoiseField] = v;
    else if (k.endsWith(RESOLUTION_SUFFIX)) resolution[k.slice(0, -RESOLUTION_SUFFIX.length) as ResultField] = v;
    else values[k as ResultField] = v;
  }
  return {
    timeNs,
    tags,
    runId: typeof fields.run_id === 'string' ? fields.run_id : '',
    threads: typeof fields.threads === 'number' ? fields.threads : null,
    ok: fields.ok !== false,
    parent: typeof fields.parent_agent === 'string' && fields.parent_agent !== '' ? fields.parent_agent : null,
    values,
    resolution,
    noise,
    disturbed: typeof fields.disturbed === 'boolean' ? fields.disturbed : null,
  };
}
