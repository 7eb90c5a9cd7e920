// The InfluxDB contract in code: every measurement, its tags and its fields with their types.
// docs/schema.md describes the same names in prose and schema/influx.test.ts checks the two agree.
// Writers build their tag sets from these lists and the dashboards' typed queries accept only these
// names. Public contract: add names, never rename or remove them. Adding a field is one line in
// its measurement's `fields`; adding a measurement is one entry in MEASUREMENTS.
import { INTERVAL_FIELDS, RESULT_FIELDS, type IntervalField } from './sysbench.js';
import { NOISE_FIELDS, NOISE_LINE_FIELDS } from './noise.js';

/**
 * How a field is stored. Every number is written as an InfluxDB float (counts too), so a field
 * never changes type between writers; InfluxDB rejects a field whose type changes within a shard.
 */
export type FieldType = 'float' | 'string' | 'boolean';

/** Tags on every measurement: who measured, on what (bounded sets; ids live in fields). */
export const IDENTITY_TAGS = ['agent', 'host', 'group', 'role', 'virt', 'container', 'kvm', 'variant'] as const;
/** Tags of one sysbench run: the identity plus what ran. */
export const RUN_TAGS = [...IDENTITY_TAGS, 'test', 'profile', 'sysbench_version'] as const;
/** Tags of a comparison: the run's tags plus which metric and which baseline agent. */
export const COMPARISON_TAGS = [...RUN_TAGS, 'metric', 'baseline_agent'] as const;

export type IdentityTag = (typeof IDENTITY_TAGS)[number];
export type RunTag = (typeof RUN_TAGS)[number];

const floats = <N extends string>(names: readonly N[]): Record<N, 'float'> => Object.fromEntries(names.map((n) => [n, 'float'])) as Record<N, 'float'>;
const strings = <N extends string>(names: readonly N[]): Record<N, 'string'> => Object.fromEntries(names.map((n) => [n, 'string'])) as Record<N, 'string'>;

/** `<field>_resolution` on `sysbench`: the step the field was printed at (issue 13), in the field's unit. */
export const RESOLUTION_SUFFIX = '_resolution';
const RESOLUTION_FIELDS = RESULT_FIELDS.map((f) => `${f}${RESOLUTION_SUFFIX}` as const);

/** Interval fields the 5-minute downsampling keeps (elapsed_s is a position in the run, not a measurement). */
export type DownsampledIntervalField = Exclude<IntervalField, 'elapsed_s'>;
export const DOWNSAMPLED_INTERVAL_FIELDS = INTERVAL_FIELDS.filter((f): f is DownsampledIntervalField => f !== 'elapsed_s');
/** What each 5-minute window keeps of an interval field: `<field>_mean`, `_min`, `_max`. */
export const DOWNSAMPLE_AGGREGATES = ['mean', 'min', 'max'] as const;
export type DownsampleAggregate = (typeof DOWNSAMPLE_AGGREGATES)[number];
const DOWNSAMPLED_FIELDS = DOWNSAMPLED_INTERVAL_FIELDS.flatMap((f) => DOWNSAMPLE_AGGREGATES.map((a) => `${f}_${a}` as const));
/** What a daily rollup keeps of a metric (collector/rollup/): `<m>_n`, `_sum`, `_sq` (sum of squares), `_min`, `_max`. */
export const ROLLUP_AGGREGATES = ['n', 'sum', 'sq', 'min', 'max'] as const;
export type RollupAggregate = (typeof ROLLUP_AGGREGATES)[number];
const INTERVAL_ROLLUP_FIELDS = DOWNSAMPLED_INTERVAL_FIELDS.flatMap((f) => ROLLUP_AGGREGATES.map((a) => `${f}_${a}` as const));
const RESULT_ROLLUP_FIELDS = RESULT_FIELDS.flatMap((f) => ROLLUP_AGGREGATES.map((a) => `${f}_${a}` as const));

/** Fields of `overhead`, and of each `overhead_chain` point. */
const COMPARISON_FIELDS = {
  guest_value: 'float',
  baseline_value: 'float',
  ratio: 'float',
  overhead_pct: 'float',
  ci_low_pct: 'float',
  ci_high_pct: 'float',
  n_guest: 'float',
  n_baseline: 'float',
  threads: 'float',
  run_id: 'string',
  baseline_run_id: 'string',
  // The comparison engine's answer (lib/compare): verdict and what it rests on.
  verdict: 'string',
  verdict_reason: 'string',
  margin_pct: 'float',
  margin_source: 'string',
  noise_floor_pct: 'float',
  p: 'float',
  more_trials: 'float',
  // The run as the unit (issue 22): runs on each side, their run-to-run spread, what limits the interval.
  runs_guest: 'float',
  runs_baseline: 'float',
  runs_excluded: 'float',
  baseline_run_ids: 'string',
  guest_run_sd_pct: 'float',
  baseline_run_sd_pct: 'float',
  rounding_pct: 'float',
  df: 'float',
  more_runs: 'float',
  // > 0 exactly when verdict is worse: the number alert rules reduce (collector/overhead/compute.ts).
  worse_by_pct: 'float',
} as const;

const OVERHEAD_FIELDS = {
  ...COMPARISON_FIELDS,
  // Trials the agents judged disturbed (docs/noise.md), and whether they were left out.
  n_disturbed_guest: 'float',
  n_disturbed_baseline: 'float',
  disturbed_excluded: 'boolean',
} as const;

interface MeasurementSpec {
  readonly tags: readonly string[];
  readonly fields: Readonly<Record<string, FieldType>>;
}

/** What the report's rollups count of a series' trials, per day and per 7-day bucket alike. */
const REPORT_ROLLUP_COUNTS = {
  trials: 'float',
  ok: 'float',
  judged: 'float',
  disturbed: 'float',
  skewed: 'float',
  first_ok_ns: 'float',
  last_ns: 'float',
} as const;

export const MEASUREMENTS = {
  sysbench: {
    tags: RUN_TAGS,
    fields: {
      ...floats(RESULT_FIELDS),
      ...floats(RESOLUTION_FIELDS),
      ...floats(NOISE_FIELDS),
      disturbed: 'boolean',
      disturbed_reason: 'string',
      run_id: 'string',
      result_id: 'string',
      parent_agent: 'string',
      declared_nesting: 'string',
      seen_depth: 'float',
      trial: 'float',
      threads: 'float',
      ok: 'boolean',
      error: 'string',
      content_hash: 'string',
      clock_skew_s: 'float',
    },
  },
  sysbench_interval: {
    tags: RUN_TAGS,
    fields: { ...floats(INTERVAL_FIELDS), run_id: 'string', sample_id: 'string', trial: 'float', content_hash: 'string', clock_skew_s: 'float' },
  },
  sysbench_interval_5m: {
    tags: RUN_TAGS,
    fields: { ...floats(DOWNSAMPLED_FIELDS), samples: 'float' },
  },
  // One point per series and UTC day of `sysbench_interval_5m`, kept by the collector (issue 26):
  // the History panels read a day per point instead of every 5-minute window of a year.
  sysbench_interval_1d: {
    tags: RUN_TAGS,
    fields: { ...floats(INTERVAL_ROLLUP_FIELDS), windows: 'float' },
  },
  // One point per series and UTC day of the ok trials in `sysbench`, kept by the collector (issue 26):
  // the Variants table reads a day per point instead of every trial of its range.
  sysbench_1d: {
    tags: RUN_TAGS,
    fields: { ...floats(RESULT_ROLLUP_FIELDS), trials: 'float' },
  },
  // One point per series, thread count and UTC day of what `report` counts of the trials (issue 26):
  // the report over a year reads a day per point instead of scanning every trial for each count.
  sysbench_report_1d: {
    tags: [...RUN_TAGS, 'threads'] as const,
    fields: {
      ...REPORT_ROLLUP_COUNTS,
      ...floats(NOISE_LINE_FIELDS.map((f) => `${f}_median` as const)),
    },
  },
  // The same per series, thread count and 7-day bucket (InfluxDB's GROUP BY time(7d): from the
  // epoch, Thursday 00:00 UTC), summed from sysbench_report_1d (issue 26): the report over a year
  // reads its whole weeks here, a point a week instead of seven; the days' medians kept as a list.
  sysbench_report_7d: {
    tags: [...RUN_TAGS, 'threads'] as const,
    fields: {
      ...REPORT_ROLLUP_COUNTS,
      ...strings(NOISE_LINE_FIELDS.map((f) => `${f}_medians` as const)),
    },
  },
  // When a rollup's start fill last finished (issue 26): from then on the collector's listener keeps
  // it, so a reader may trust its days (those named by no `overhead_owed` marker).
  rollup_filled: {
    tags: ['rollup'] as const,
    fields: { days: 'float', weeks: 'float' },
  },
  agent_status: {
    tags: IDENTITY_TAGS,
    fields: {
      spooled: 'float',
      dropped: 'float',
      corrupt: 'float',
      rejected: 'float',
      last_run_ok: 'boolean',
      state: 'string',
      collector_held: 'float',
      content_hash: 'string',
    },
  },
  overhead: {
    tags: COMPARISON_TAGS,
    fields: OVERHEAD_FIELDS,
  },
  // The newest `overhead` point of each series, one point per series at a fixed time (issue 26):
  // "current" panels and the report read ~1 point per guest × test × metric, not a range.
  overhead_latest: {
    tags: COMPARISON_TAGS,
    fields: { ...OVERHEAD_FIELDS, run_ms: 'float' },
  },
  overhead_chain: {
    tags: [...COMPARISON_TAGS, 'against'] as const,
    fields: {
      ...COMPARISON_FIELDS,
      depth: 'float',
      chain: 'string',
      layers_ratio: 'float',
      layers_ratio_low: 'float',
      layers_ratio_high: 'float',
      interaction_ratio: 'float',
      interaction_low: 'float',
      interaction_high: 'float',
      layers_agree: 'boolean',
    },
  },
  agent_info: {
    tags: IDENTITY_TAGS,
    fields: {
      os: 'string',
      kernel: 'string',
      arch: 'string',
      cpu_model: 'string',
      cpus: 'float',
      memory_bytes: 'float',
      agent_version: 'string',
      sysbench_version: 'string',
      qemu_version: 'string',
      declared: 'string',
      changed: 'string',
      changed_detail: 'string',
      run_id: 'string',
    },
  },
  agent_clock: {
    tags: IDENTITY_TAGS,
    fields: { offset_s: 'float', tolerance_s: 'float' },
  },
  agent_silence: {
    tags: IDENTITY_TAGS,
    fields: { silent_s: 'float', silent: 'float', limit_s: 'float' },
  },
  collector_stats: {
    tags: ['collector'] as const,
    fields: {
      open_streams: 'float',
      points_written: 'float',
      points_failed: 'float',
      queue_depth: 'float',
      writes: 'float',
      write_ms_avg: 'float',
      write_ms_max: 'float',
      spool_backlog: 'float',
    },
  },
  overhead_change: {
    tags: [...COMPARISON_TAGS, 'kind', 'cause'] as const,
    fields: {
      before_pct: 'float',
      after_pct: 'float',
      change_pct: 'float',
      ci_low_pct: 'float',
      ci_high_pct: 'float',
      p_value: 'float',
      n_before: 'float',
      n_after: 'float',
      run_id: 'string',
      before_run_id: 'string',
      baseline_run_id: 'string',
      before_baseline_run_id: 'string',
      gap_s: 'float',
      facts_changed: 'string',
      facts_detail: 'string',
      outlier_run_ids: 'string',
      summary: 'string',
      threads: 'float',
      shape: 'string',
      drift_runs: 'float',
      end_run_id: 'string',
      end_ms: 'float',
      slope_pct_per_day: 'float',
    },
  },
  overhead_series: {
    tags: ['group', 'agent', 'test', 'profile', 'metric', 'baseline_agent'] as const,
    fields: {
      status: 'string',
      runs: 'float',
      needed: 'float',
      changes: 'float',
      threads: 'float',
      first_run_id: 'string',
      last_run_id: 'string',
      last_ns: 'string',
    },
  },
  overhead_owed: {
    tags: ['collector', 'agent'] as const,
    fields: { from_ns: 'string', to_ns: 'string', results: 'float' },
  },
} as const satisfies Record<string, MeasurementSpec>;

export type Schema = typeof MEASUREMENTS;
export type Measurement = keyof Schema;
export type TagOf<M extends Measurement> = Schema[M]['tags'][number];
export type FieldOf<M extends Measurement> = keyof Schema[M]['fields'] & string;

/** The identity tag set of a stream, as every measurement stores it. */
export type IdentityTags = Record<IdentityTag, string>;
