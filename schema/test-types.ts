// The sysbench test types, one entry each: everything the program knows about a test apart from
// the parser lines that read its numbers. The names (`test` tag, `--tests`, profile keys), the
// parser's markers, the built-in profiles, the phases, the time-left guess, the headline metrics
// and the default margins are all read from here, so a new test type is one entry below plus its
// parser lines (agent/sysbench/parser/parse.ts); the recipe is in docs/DEVELOPING.md. The names are
// part of the InfluxDB contract: add entries, never rename one.
import { parseSize } from '../lib/units.js';
import type { ResultField } from './sysbench.js';

/** One test's settings in a profile. */
export interface TestSpec {
  threads: number;
  /** Run time in seconds; absent means sysbench's default (10 s; memory and mutex stop on their own). */
  time?: number;
  /** Test options in sysbench 1.0 names without the leading dashes, e.g. {"cpu-max-prime": "2000"}. */
  options: Record<string, string>;
  /** Tests with a prepare phase: threads for it (the report prepares fileio with 16, runs with 20). */
  prepareThreads?: number;
  /** Kill sysbench and report a failed run after this many seconds. */
  timeoutS: number;
}

/** The built-in profiles (agent/sysbench/profiles.ts): each test type has an entry in every one. */
export const BUILTIN_PROFILE_NAMES = ['seed', 'quick'] as const;
export type BuiltinProfileName = (typeof BUILTIN_PROFILE_NAMES)[number];

export interface TestType {
  /** Lines only this test prints: the parser names the test from them when no command line says it. */
  markers: RegExp;
  /** sysbench prepares data before the run and removes it after (prepare, run, cleanup), in `<workdir>/<test>`. */
  prepared: boolean;
  /** Bytes the prepare phase writes, checked against the free space before anything is written. */
  preparedBytes?: (spec: TestSpec) => number;
  /** Seconds a run takes when the profile does not bound it (`time` absent): the progress line's estimate. */
  expectedS: number;
  /**
   * seed: the experiment report's command (docs/experiment.md) in sysbench 1.0 option names;
   * quick: the same test short enough to finish in well under 30 s.
   */
  profiles: Readonly<Record<BuiltinProfileName, TestSpec>>;
  /**
   * The metrics that answer "how fast is this test", in order of preference: the first one a run
   * printed is the test's headline (the trial rule, the report's rows, the summary, the charts).
   */
  headline: readonly ResultField[];
  /**
   * The default equivalence margin in % per metric (lib/compare/margin.ts; a metric not named here
   * gets FALLBACK_MARGIN_PCT). A decision about the workload, made before the data; at most 10 %.
   */
  margins: Readonly<Partial<Record<ResultField, number>>>;
}

// Margins: throughput of cpu and memory 3 % (a hypervisor's cost is typically a few percent, and
// these are steady on a quiet host); threads and average latencies 5 % (scheduler-bound, twice as
// variable); tail latencies (percentile), file I/O (page cache and device state) and mutex (lock
// contention) 10 %. The order of the entries is the order of the suite and of the report.
const ENTRIES = {
  cpu: {
    markers: /^Doing CPU performance benchmark|^Prime numbers limit:|^Maximum prime number checked|^CPU speed:/,
    prepared: false,
    expectedS: 10,
    profiles: {
      seed: { threads: 1, options: { 'cpu-max-prime': '2000' }, timeoutS: 120 },
      quick: { threads: 1, time: 2, options: { 'cpu-max-prime': '2000' }, timeoutS: 60 },
    },
    headline: ['events_per_sec', 'latency_avg_ms', 'latency_pct_ms'],
    margins: { events_per_sec: 3, total_events: 3, latency_avg_ms: 5, latency_pct_ms: 10 },
  },
  threads: {
    markers: /^Doing thread subsystem performance test|^Thread yields per test:/,
    prepared: false,
    expectedS: 10,
    profiles: {
      seed: { threads: 500, options: { 'thread-yields': '100', 'thread-locks': '4' }, timeoutS: 180 },
      quick: { threads: 500, time: 2, options: { 'thread-yields': '100', 'thread-locks': '4' }, timeoutS: 90 },
    },
    headline: ['events_per_sec', 'total_events', 'latency_avg_ms', 'latency_pct_ms'],
    margins: { events_per_sec: 5, total_events: 5, latency_avg_ms: 5, latency_pct_ms: 10 },
  },
  fileio: {
    markers:
      /^Extra file open flags|^Creating files for the test|^Removing test files|^File operations:|^Operations performed:\s+\d+ Read|IOPS=|^reads\/s:|bytes written in|^Creating file test_file/,
    prepared: true,
    // sysbench's default --file-total-size is 2G.
    preparedBytes: (spec) => parseSize(spec.options['file-total-size'] ?? '2G', 'file-total-size'),
    expectedS: 30,
    profiles: {
      seed: { threads: 20, prepareThreads: 16, options: { 'file-total-size': '2G', 'file-test-mode': 'rndrw' }, timeoutS: 900 },
      quick: { threads: 20, prepareThreads: 16, time: 2, options: { 'file-total-size': '128M', 'file-test-mode': 'rndrw' }, timeoutS: 240 },
    },
    headline: ['read_mib_per_sec', 'written_mib_per_sec', 'reads_per_sec', 'writes_per_sec', 'fsyncs_per_sec', 'latency_avg_ms'],
    margins: {
      read_mib_per_sec: 10,
      written_mib_per_sec: 10,
      reads_per_sec: 10,
      writes_per_sec: 10,
      fsyncs_per_sec: 10,
      latency_avg_ms: 10,
      latency_pct_ms: 10,
    },
  },
  memory: {
    markers:
      /^Doing memory operations speed test|^Running memory speed test|^Memory block size|^Total operations:|^Operations performed:\s*\d+\s*\(|transferred \(/,
    prepared: false,
    expectedS: 2,
    profiles: {
      seed: { threads: 1, options: { 'memory-block-size': '8k', 'memory-total-size': '1G' }, timeoutS: 300 },
      quick: { threads: 1, options: { 'memory-block-size': '8k', 'memory-total-size': '1G' }, timeoutS: 120 },
    },
    headline: ['mib_per_sec', 'operations_per_sec', 'events_per_sec', 'total_time_s'],
    margins: { mib_per_sec: 3, operations_per_sec: 3, events_per_sec: 3, total_events: 3, total_time_s: 3, latency_avg_ms: 5, latency_pct_ms: 10 },
  },
  mutex: {
    markers: /^Doing mutex performance test/,
    prepared: false,
    expectedS: 1,
    profiles: {
      seed: { threads: 4, options: { 'mutex-num': '2000', 'mutex-locks': '10000', 'mutex-loops': '5000' }, timeoutS: 300 },
      quick: { threads: 4, options: { 'mutex-num': '2000', 'mutex-locks': '10000', 'mutex-loops': '5000' }, timeoutS: 120 },
    },
    headline: ['total_time_s', 'latency_avg_ms', 'fairness_exec_time_avg'],
    margins: { total_time_s: 10, latency_avg_ms: 10, latency_pct_ms: 10, fairness_exec_time_avg: 10, fairness_events_avg: 10 },
  },
} satisfies Record<string, TestType>;

export type TestName = keyof typeof ENTRIES;
export const TEST_TYPES: Readonly<Record<TestName, TestType>> = ENTRIES;

/** The test names in suite order. */
export const TESTS: readonly TestName[] = Object.keys(TEST_TYPES) as TestName[];

export function isTestName(value: unknown): value is TestName {
  return typeof value === 'string' && (TESTS as readonly string[]).includes(value);
}
