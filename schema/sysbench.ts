// Field names of the `sysbench` and `sysbench_interval` measurements (the test names are the
// keys of schema/test-types.ts), shared by the parser, the agent, the collector's validation, the
// report and the dashboards, and checked against docs/schema.md. The InfluxDB schema is a public
// contract: add names, never rename them.

/** Fields of the `sysbench` measurement that come from sysbench's final report. */
export const RESULT_FIELDS = [
  'events_per_sec',
  'total_time_s',
  'total_events',
  'latency_min_ms',
  'latency_avg_ms',
  'latency_max_ms',
  'latency_pct',
  'latency_pct_ms',
  'latency_sum_ms',
  'fairness_events_avg',
  'fairness_events_stddev',
  'fairness_exec_time_avg',
  'fairness_exec_time_stddev',
  'reads_per_sec',
  'writes_per_sec',
  'fsyncs_per_sec',
  'read_mib_per_sec',
  'written_mib_per_sec',
  'operations',
  'operations_per_sec',
  'transferred_mib',
  'mib_per_sec',
] as const;
export type ResultField = (typeof RESULT_FIELDS)[number];
export type ResultFields = Partial<Record<ResultField, number>>;

/** Fields of the `sysbench_interval` measurement (one `--report-interval` line). */
export const INTERVAL_FIELDS = [
  'elapsed_s',
  'threads',
  'events_per_sec',
  'latency_pct',
  'latency_pct_ms',
  'reads_per_sec',
  'writes_per_sec',
  'fsyncs_per_sec',
  'read_mib_per_sec',
  'written_mib_per_sec',
  'mib_per_sec',
  'operations_per_sec',
  'queue_length',
  'errors_per_sec',
  'reconnects_per_sec',
] as const;
export type IntervalField = (typeof INTERVAL_FIELDS)[number];
export type IntervalFields = Partial<Record<IntervalField, number>> & { elapsed_s: number };
