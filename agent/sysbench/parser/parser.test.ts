// Every field of every fixture, typed in by hand from reading the fixture text (units
// converted by hand: 0.4 "46.1087" s of event time = 46108.7 ms; "12.202Gb" = 12494.848 MiB).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Invocation, ResultFields } from '../fields.js';
import { detectSysbenchVersion, parseIntervalLine, parseSysbenchOutput } from './index.js';
import { parseSysbenchOutputStrict } from './parse.js';

const DIR = new URL('../../../test/fixtures/sysbench/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, DIR), 'utf8');
const parse = (name: string) => parseSysbenchOutputStrict(read(name));

function inv(p: Partial<Invocation> & { fields: ResultFields }): Omit<Invocation, 'intervals'> & { intervals?: Invocation['intervals'] } {
  return { sysbench_version: null, test: null, phase: 'run', threads: null, ok: true, errors: [], warnings: [], ...p };
}
function check(actual: Invocation[], expected: ReturnType<typeof inv>[]) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    const { intervals, resolution: _resolution, ...rest } = actual[i]!; // resolution: its own tests below
    const { intervals: ei, ...erest } = e;
    expect(rest).toEqual(erest);
    if (ei) expect(intervals).toEqual(ei);
    else expect(intervals).toEqual([]);
  });
}
const lat = (min: number, avg: number, max: number, pct: number, pctMs: number, sum: number): ResultFields => ({
  latency_min_ms: min,
  latency_avg_ms: avg,
  latency_max_ms: max,
  latency_pct: pct,
  latency_pct_ms: pctMs,
  latency_sum_ms: sum,
});
const fair = (ea: number, es: number, ta: number, ts: number): ResultFields => ({
  fairness_events_avg: ea,
  fairness_events_stddev: es,
  fairness_exec_time_avg: ta,
  fairness_exec_time_stddev: ts,
});

describe('sysbench 1.0.20 runs captured here', () => {
  test('cpu', () => {
    check(parse('1.0.20-cpu.txt'), [
      inv({
        sysbench_version: '1.0.20',
        test: 'cpu',
        threads: 1,
        fields: { events_per_sec: 3653.58, total_time_s: 2.0003, total_events: 7318, ...lat(0.22, 0.27, 7.88, 95, 0.35, 1992.96), ...fair(7318, 0, 1.993, 0) },
      }),
    ]);
  });
  test('cpu with --report-interval: interval samples in order', () => {
    check(parse('1.0.20-cpu-report-interval.txt'), [
      inv({
        sysbench_version: '1.0.20',
        test: 'cpu',
        threads: 2,
        fields: {
          events_per_sec: 8121.24,
          total_time_s: 3.0006,
          total_events: 24375,
          ...lat(0.21, 0.25, 8.66, 95, 0.28, 5992.08),
          ...fair(12187.5, 51.5, 2.996, 0),
        },
        intervals: [
          { elapsed_s: 1, threads: 2, events_per_sec: 8555.05, latency_pct: 95, latency_pct_ms: 0.26 },
          { elapsed_s: 2, threads: 2, events_per_sec: 7417.64, latency_pct: 95, latency_pct_ms: 0.31 },
        ],
      }),
    ]);
  });
  test('cpu with --histogram and --percentile=99: histogram rows are not latencies', () => {
    check(parse('1.0.20-cpu-histogram-percentile99.txt'), [
      inv({
        sysbench_version: '1.0.20',
        test: 'cpu',
        threads: 1,
        fields: { events_per_sec: 4095.54, total_time_s: 2.0031, total_events: 8207, ...lat(0.21, 0.24, 2.97, 99, 0.42, 1995.22), ...fair(8207, 0, 1.9952, 0) },
      }),
    ]);
  });
  test('deprecated options: stderr warnings before the header belong to the run', () => {
    check(parse('1.0.20-cpu-legacy-options.txt'), [
      inv({
        sysbench_version: '1.0.20',
        test: 'cpu',
        threads: 1,
        warnings: [
          'WARNING: the --test option is deprecated. You can pass a script name or path on the command line without any options.',
          'WARNING: --max-time is deprecated, use --time instead',
        ],
        fields: {
          events_per_sec: 42228.6,
          total_time_s: 2.0005,
          total_events: 84579,
          ...lat(0.02, 0.02, 2.29, 95, 0.03, 1986.44),
          ...fair(84579, 0, 1.9864, 0),
        },
      }),
    ]);
  });
  test('threads (1.0 prints nothing naming the test)', () => {
    check(parse('1.0.20-threads.txt'), [
      inv({
        sysbench_version: '1.0.20',
        threads: 4,
        fields: { total_time_s: 2.0029, total_events: 825, ...lat(1.39, 9.69, 23.57, 95, 14.46, 7998.19), ...fair(206.25, 6.83, 1.9995, 0) },
      }),
    ]);
  });
  test('threads with --debug=on: per-thread DEBUG min/avg/max lines are ignored', () => {
    check(parse('1.0.20-threads-debug.txt'), [
      inv({
        sysbench_version: '1.0.20',
        test: 'threads',
        threads: 2,
        fields: { total_time_s: 1.0019, total_events: 1493, ...lat(1.17, 1.34, 6.81, 95, 1.42, 2000.25), ...fair(746.5, 1.5, 1.0001, 0) },
      }),
    ]);
  });
  test('threads with --report-interval', () => {
    check(parse('1.0.20-threads-report-interval.txt'), [
      inv({
        sysbench_version: '1.0.20',
        threads: 2,
        fields: { total_time_s: 3.003, total_events: 4129, ...lat(1.18, 1.45, 7.62, 95, 1.64, 5998.13), ...fair(2064.5, 176.5, 2.9991, 0) },
        intervals: [
          { elapsed_s: 1, threads: 2, events_per_sec: 1193.14, latency_pct: 95, latency_pct_ms: 4.49 },
          { elapsed_s: 2, threads: 2, events_per_sec: 1479.15, latency_pct: 95, latency_pct_ms: 1.58 },
          { elapsed_s: 3, threads: 2, events_per_sec: 1454.93, latency_pct: 95, latency_pct_ms: 1.61 },
        ],
      }),
    ]);
  });
  test('memory', () => {
    check(parse('1.0.20-memory.txt'), [
      inv({
        sysbench_version: '1.0.20',
        test: 'memory',
        threads: 1,
        fields: {
          operations: 10231126,
          operations_per_sec: 5104592.29,
          transferred_mib: 9991.33,
          mib_per_sec: 4984.95,
          total_time_s: 2.0004,
          total_events: 10231126,
          ...lat(0, 0, 4.18, 95, 0, 811.18),
          ...fair(10231126, 0, 0.8112, 0),
        },
      }),
    ]);
  });
  test('memory with --report-interval', () => {
    check(parse('1.0.20-memory-report-interval.txt'), [
      inv({
        sysbench_version: '1.0.20',
        test: 'memory',
        threads: 1,
        fields: {
          operations: 10090654,
          operations_per_sec: 5030098.09,
          transferred_mib: 9854.15,
          mib_per_sec: 4912.21,
          total_time_s: 2.0052,
          total_events: 10090654,
          ...lat(0, 0, 4.45, 95, 0, 768.08),
          ...fair(10090654, 0, 0.7681, 0),
        },
        intervals: [{ elapsed_s: 1, mib_per_sec: 5166.03 }],
      }),
    ]);
  });
  test('mutex', () => {
    check(parse('1.0.20-mutex.txt'), [
      inv({
        sysbench_version: '1.0.20',
        threads: 2,
        fields: { total_time_s: 0.7009, total_events: 2, ...lat(645.86, 673.17, 700.48, 95, 694.45, 1346.34), ...fair(1, 0, 0.6732, 0.03) },
      }),
    ]);
  });
  test('mutex with --percentile=0: no percentile at all', () => {
    check(parse('1.0.20-mutex-percentile0.txt'), [
      inv({
        sysbench_version: '1.0.20',
        threads: 2,
        fields: {
          total_time_s: 0.1541,
          total_events: 2,
          latency_min_ms: 152.23,
          latency_avg_ms: 153.12,
          latency_max_ms: 154,
          latency_sum_ms: 306.24,
          ...fair(1, 0, 0.1531, 0),
        },
      }),
    ]);
  });
  test('fileio prepare + run + cleanup in one log', () => {
    check(parse('1.0.20-fileio-prepare-run-cleanup.txt'), [
      inv({ sysbench_version: '1.0.20', test: 'fileio', phase: 'prepare', fields: {} }),
      inv({
        sysbench_version: '1.0.20',
        test: 'fileio',
        threads: 1,
        fields: {
          reads_per_sec: 17197.46,
          writes_per_sec: 11464.97,
          fsyncs_per_sec: 1148.49,
          read_mib_per_sec: 268.71,
          written_mib_per_sec: 179.14,
          total_time_s: 2.0018,
          total_events: 59696,
          ...lat(0, 0.03, 6.19, 95, 0.02, 1975.85),
          ...fair(59696, 0, 1.9758, 0),
        },
        intervals: [{ elapsed_s: 1, read_mib_per_sec: 260.9, written_mib_per_sec: 173.93, fsyncs_per_sec: 1112.17, latency_pct: 95, latency_pct_ms: 0.016 }],
      }),
      inv({ sysbench_version: '1.0.20', test: 'fileio', phase: 'cleanup', fields: {} }),
    ]);
  });
  test('fileio run without prepare fails with the lines verbatim', () => {
    check(parse('1.0.20-fileio-run-without-prepare.txt'), [
      inv({
        sysbench_version: '1.0.20',
        test: 'fileio',
        threads: 1,
        ok: false,
        errors: ["FATAL: Cannot open file 'test_file.0' errno = 2 (No such file or directory)"],
        warnings: ['WARNING: Did you forget to run the prepare step?'],
        fields: {},
      }),
    ]);
  });
  test('invalid option', () => {
    check(parse('1.0.20-invalid-option.txt'), [inv({ sysbench_version: '1.0.20', ok: false, errors: ['invalid option: --nonsense-option=1'], fields: {} })]);
  });
  test("the report's --test=muxex", () => {
    check(parse('1.0.20-test-muxex.txt'), [
      inv({
        sysbench_version: '1.0.20',
        ok: false,
        errors: ["FATAL: Cannot find benchmark 'muxex': no such built-in test, file or module"],
        warnings: [
          'WARNING: the --test option is deprecated. You can pass a script name or path on the command line without any options.',
          'WARNING: --num-threads is deprecated, use --threads instead',
        ],
        fields: {},
      }),
    ]);
  });
});

describe('sysbench 0.4 published outputs', () => {
  test('0.4.12 cpu and memory in one markdown page (MB means MiB; event time in s -> ms)', () => {
    check(parse('0.4.12-cpu-memory-scaleway.md.txt'), [
      inv({
        sysbench_version: '0.4.12',
        test: 'cpu',
        threads: 1,
        fields: { total_time_s: 46.1131, total_events: 10000, ...lat(4.59, 4.61, 7.85, 95, 4.65, 46108.7), ...fair(10000, 0, 46.1087, 0) },
      }),
      inv({
        sysbench_version: '0.4.12',
        test: 'memory',
        threads: 1,
        fields: {
          operations: 10240,
          operations_per_sec: 3855.8,
          transferred_mib: 10240,
          mib_per_sec: 3855.8,
          total_time_s: 2.6557,
          total_events: 10240,
          ...lat(0.25, 0.26, 0.46, 95, 0.28, 2650.9),
          ...fair(10240, 0, 2.6509, 0),
        },
      }),
    ]);
  });
  test('0.4.12 cpu, fileio prepare/run/cleanup (Gb amounts), memory, threads x2', () => {
    check(parse('0.4.12-rpi4-cpu-fileio-memory-threads.md.txt'), [
      inv({
        sysbench_version: '0.4.12',
        test: 'cpu',
        threads: 1,
        fields: { total_time_s: 6.6806, total_events: 10000, ...lat(0.66, 0.67, 1.77, 95, 0.67, 6677.8), ...fair(10000, 0, 6.6778, 0) },
      }),
      inv({ sysbench_version: '0.4.12', test: 'fileio', phase: 'prepare', fields: {} }),
      inv({
        sysbench_version: '0.4.12',
        test: 'fileio',
        threads: 1,
        fields: {
          events_per_sec: 2665.62,
          transferred_mib: 12494.848,
          mib_per_sec: 41.65,
          total_time_s: 300.005,
          total_events: 799700,
          ...lat(0.01, 0.03, 4.57, 95, 0.06, 22227.1),
          ...fair(799700, 0, 22.2271, 0),
        },
      }),
      inv({ sysbench_version: '0.4.12', test: 'fileio', phase: 'cleanup', fields: {} }),
      inv({
        sysbench_version: '0.4.12',
        test: 'memory',
        threads: 1,
        fields: {
          operations: 10485760,
          operations_per_sec: 1022031.23,
          transferred_mib: 10240,
          mib_per_sec: 998.08,
          total_time_s: 10.2597,
          total_events: 10485760,
          ...lat(0, 0, 4.13, 95, 0, 8381.5),
          ...fair(10485760, 0, 8.3815, 0),
        },
      }),
      inv({
        sysbench_version: '0.4.12',
        test: 'threads',
        threads: 2,
        fields: { total_time_s: 38.0866, total_events: 1000000, ...lat(0.03, 0.08, 25.69, 95, 0.26, 75973.2), ...fair(500000, 72798, 37.9866, 0.01) },
      }),
      inv({
        sysbench_version: '0.4.12',
        test: 'threads',
        threads: 8,
        fields: { total_time_s: 52.021, total_events: 1000000, ...lat(0.03, 0.42, 24.76, 95, 1.34, 415927.7), ...fair(125000, 1530.86, 51.991, 0) },
      }),
    ]);
  });
  test('0.4.10 zero-event fileio: the 18446744073709.55ms sentinel is no latency, FATAL fails it', () => {
    const [r, ...more] = parse('0.4.10-fileio-zero-events.txt');
    expect(more).toEqual([]);
    expect(r!.ok).toBe(false);
    expect(r!.errors.length).toBe(16);
    expect(r!.errors[0]).toBe('FATAL: Failed to read file! file: 3 pos: 0 errno = 0 (Q?)');
    expect(r!.errors[15]).toBe('FATAL: Failed to read file! file: 16 pos: 311296 errno = 0 ()');
    expect(r!.fields).toEqual({
      events_per_sec: 0,
      transferred_mib: 0,
      mib_per_sec: 0,
      total_time_s: 0.0029,
      total_events: 0,
      latency_sum_ms: 0,
      ...fair(0, 0, 0, 0),
    });
    expect({ v: r!.sysbench_version, t: r!.test, th: r!.threads }).toEqual({ v: '0.4.10', t: 'fileio', th: 16 });
  });
});

describe('sysbench 0.5 and 1.1/master published outputs', () => {
  test('0.5 OLTP with --report-interval: General statistics / response time', () => {
    const [r, ...more] = parse('0.5-oltp-ro-report-interval.txt');
    expect(more).toEqual([]);
    const { intervals, resolution: _resolution, ...rest } = r!;
    expect(rest).toEqual(
      inv({
        sysbench_version: '0.5',
        threads: 2,
        fields: { total_time_s: 61.0015, total_events: 54738, ...lat(1.75, 2.23, 7.03, 95, 2.79, 121906.3), ...fair(27369, 9, 60.9531, 0) },
      }),
    );
    expect(intervals.length).toBe(30);
    expect(intervals[0]).toEqual({
      elapsed_s: 2,
      threads: 2,
      events_per_sec: 778.74,
      reads_per_sec: 10906.37,
      writes_per_sec: 0,
      latency_pct_ms: 3.61,
      latency_pct: 95,
      errors_per_sec: 0,
      reconnects_per_sec: 0,
    });
    expect(intervals[29]).toEqual({
      elapsed_s: 60,
      threads: 2,
      events_per_sec: 872,
      reads_per_sec: 12205.04,
      writes_per_sec: 0,
      latency_pct_ms: 2.76,
      latency_pct: 95,
      errors_per_sec: 0,
      reconnects_per_sec: 0,
    });
  });
  test('1.1.0-4e0e44c fileio whose header lost its first letter', () => {
    check(parse('1.1.0-4e0e44c-fileio-cut-header.txt'), [
      inv({
        sysbench_version: '1.1.0-4e0e44c',
        test: 'fileio',
        threads: 1,
        fields: {
          reads_per_sec: 149.3,
          writes_per_sec: 99.53,
          fsyncs_per_sec: 159.21,
          read_mib_per_sec: 2.33,
          written_mib_per_sec: 1.56,
          total_time_s: 300.6004,
          total_events: 122659,
          ...lat(0.01, 2.44, 1843.86, 95, 6.79, 299798.55),
          ...fair(122659, 0, 299.7986, 0),
        },
      }),
    ]);
  });
  test('1.1.0-4e0e44c memory with the command line and a warning', () => {
    check(parse('1.1.0-4e0e44c-memory-test-option.txt'), [
      inv({
        sysbench_version: '1.1.0-4e0e44c',
        test: 'memory',
        threads: 1,
        warnings: ['WARNING: the --test option is deprecated. You can pass a script name or path on the command line without any options.'],
        fields: {
          operations: 70,
          operations_per_sec: 6.98,
          transferred_mib: 8960,
          mib_per_sec: 893.57,
          total_time_s: 10.0272,
          total_events: 70,
          ...lat(106.45, 143.17, 277.54, 95, 179.94, 10021.99),
          ...fair(70, 0, 10.022, 0),
        },
      }),
    ]);
  });
  test('1.1 cpu: Throughput events/s (eps) and time elapsed, annotated by its author', () => {
    check(parse('1.1.0-bbee5d5-cpu-graviton2.txt'), [
      inv({
        test: 'cpu',
        fields: {
          events_per_sec: 114.0161,
          total_time_s: 87.7069,
          total_events: 10000,
          ...lat(8.76, 8.77, 8.79, 95, 8.74, 87705.26),
          ...fair(10000, 0, 87.7053, 0),
        },
      }),
    ]);
  });
  test('1.1 fileio IOPS= lines', () => {
    check(parse('1.1.0-bbee5d5-fileio-rndrw-graviton2.txt'), [
      inv({
        test: 'fileio',
        fields: {
          reads_per_sec: 2279.18,
          read_mib_per_sec: 35.61,
          writes_per_sec: 1519.46,
          written_mib_per_sec: 23.74,
          fsyncs_per_sec: 4862.66,
          latency_min_ms: 0,
          latency_avg_ms: 0.12,
          latency_max_ms: 34.77,
          latency_pct: 95,
          latency_pct_ms: 0.72,
          latency_sum_ms: 299372.99,
        },
      }),
    ]);
    check(parse('1.1.0-bbee5d5-fileio-seqrewr-graviton2.txt'), [
      inv({
        test: 'fileio',
        fields: {
          reads_per_sec: 0,
          read_mib_per_sec: 0,
          writes_per_sec: 30228.99,
          written_mib_per_sec: 472.33,
          fsyncs_per_sec: 38693.25,
          latency_min_ms: 0,
          latency_avg_ms: 0.01,
          latency_max_ms: 55.32,
          latency_pct: 95,
          latency_pct_ms: 0.01,
          latency_sum_ms: 295189.2,
        },
      }),
    ]);
  });
  test('1.1 mutex', () => {
    check(parse('1.1.0-bbee5d5-mutex-graviton2.txt'), [
      inv({
        fields: {
          events_per_sec: 1.3442,
          total_time_s: 23.8054,
          total_events: 32,
          ...lat(23722.03, 23770.96, 23803.06, 95, 23680.4, 760670.8),
          ...fair(1, 0, 23.771, 0.02),
        },
      }),
    ]);
  });
});

describe('the seed report (1.0.11, headerless blocks)', () => {
  test('S1 cpu', () => {
    check(parse('report-S1-cpu-1.0.11.txt'), [
      inv({
        test: 'cpu',
        threads: 1,
        fields: {
          events_per_sec: 13401.17,
          total_time_s: 10.0001,
          total_events: 134043,
          ...lat(0.07, 0.07, 0.66, 95, 0.08, 9976.5),
          ...fair(134043, 0, 9.9765, 0),
        },
      }),
    ]);
  });
  test('S3 cpu', () => {
    check(parse('report-S3-cpu-1.0.11.txt'), [
      inv({
        test: 'cpu',
        fields: {
          events_per_sec: 400.44,
          total_time_s: 10.0082,
          total_events: 4019,
          ...lat(1.05, 2.45, 19.02, 95, 5.77, 9850.71),
          ...fair(4019, 0, 9.8507, 0),
        },
      }),
    ]);
  });
  test('S1 threads', () => {
    check(parse('report-S1-threads-1.0.11.txt'), [
      inv({
        fields: { total_time_s: 10.0278, total_events: 188229, ...lat(0.05, 26.6, 519.94, 95, 112.67, 5007196.8), ...fair(376.458, 38.13, 10.0144, 0.01) },
      }),
    ]);
  });
  test('S1 fileio prepare line', () => {
    check(parse('report-S1-fileio-prepare-1.0.11.txt'), [inv({ test: 'fileio', phase: 'prepare', fields: {} })]);
  });
  test('S1 fileio', () => {
    check(parse('report-S1-fileio-1.0.11.txt'), [
      inv({
        test: 'fileio',
        fields: {
          reads_per_sec: 32091.67,
          writes_per_sec: 21395.28,
          fsyncs_per_sec: 68461,
          read_mib_per_sec: 501.43,
          written_mib_per_sec: 334.3,
          total_time_s: 10.0002,
          total_events: 1220005,
          ...lat(0, 0.16, 21.1, 95, 1.04, 199320.94),
          ...fair(61000.25, 1525.51, 9.966, 0),
        },
      }),
    ]);
  });
  test('S3 fileio with lost indentation', () => {
    check(parse('report-S3-fileio-lost-indent-1.0.11.txt'), [
      inv({
        test: 'fileio',
        fields: {
          reads_per_sec: 68.85,
          writes_per_sec: 46.91,
          fsyncs_per_sec: 299.7,
          read_mib_per_sec: 1.08,
          written_mib_per_sec: 0.73,
          total_time_s: 16.3725,
          total_events: 4259,
          ...lat(0.02, 46.84, 692.99, 95, 139.85, 199504.04),
          ...fair(212.95, 18.5, 9.9752, 0.04),
        },
      }),
    ]);
  });
  test('S1 memory', () => {
    check(parse('report-S1-memory-1.0.11.txt'), [
      inv({
        test: 'memory',
        fields: {
          operations: 131072,
          operations_per_sec: 1608862.04,
          transferred_mib: 1024,
          mib_per_sec: 12569.23,
          total_time_s: 0.0803,
          total_events: 131072,
          ...lat(0, 0, 0.25, 95, 0, 65.77),
          ...fair(131072, 0, 0.0658, 0),
        },
      }),
    ]);
  });
  test('S1 mutex', () => {
    check(parse('report-S1-mutex-1.0.11.txt'), [
      inv({
        fields: { total_time_s: 0.0255, total_events: 4, ...lat(18.45, 21.77, 23.26, 95, 23.1, 87.09), ...fair(1, 0, 0.0218, 0) },
      }),
    ]);
  });
});

describe('damaged text', () => {
  test('CRLF endings and trailing spaces read the same as LF', () => {
    const lf = read('1.0.20-fileio-prepare-run-cleanup.txt');
    const crlf = lf
      .split('\n')
      .map((l) => l + '   ')
      .join('\r\n');
    expect(parseSysbenchOutputStrict(crlf)).toEqual(parseSysbenchOutputStrict(lf));
  });
  test('a cut-off last line is not read as a number', () => {
    const text = read('1.0.20-cpu.txt');
    const cut = text.slice(0, text.indexOf('7318') + 2); // "total number of events:              73"
    const [r] = parseSysbenchOutputStrict(cut);
    expect(r!.fields.total_events).toBeUndefined();
    expect(r!.fields).toEqual({ events_per_sec: 3653.58, total_time_s: 2.0003 });
    expect(r!.warnings.some((w) => w.startsWith('parser: last line has no line end'))).toBe(true);
  });
  test("a line naming an Object property ('constructor', 'toString') is no section header", () => {
    // The header table was a plain object: 'constructor' found Object's own and ended the latency block.
    const text = 'sysbench 1.0.20 (x)\nLatency (ms):\n  constructor\n  toString\n  min: 0.50\n  avg: 0.75\n';
    const [r] = parseSysbenchOutputStrict(text);
    expect(r!.fields).toEqual({ latency_min_ms: 0.5, latency_avg_ms: 0.75 });
  });
  test('prose only, empty text and a --version line yield nothing to read', () => {
    expect(parseSysbenchOutput('')).toEqual([]);
    expect(parseSysbenchOutput('hello\nworld\n')).toEqual([]);
    expect(parseSysbenchOutput('sudo apt install sysbench\n')).toEqual([]);
  });
});

describe('parseIntervalLine', () => {
  test('every version and test', () => {
    expect(parseIntervalLine('[ 1s ] thds: 1 eps: 40934.89 lat (ms,95%): 0.03')).toEqual({
      elapsed_s: 1,
      threads: 1,
      events_per_sec: 40934.89,
      latency_pct: 95,
      latency_pct_ms: 0.03,
    });
    expect(parseIntervalLine('[ 1s ] reads: 12.34 MiB/s writes: 8.22 MiB/s fsyncs: 100.00/s latency (ms,95%): 0.123')).toEqual({
      elapsed_s: 1,
      read_mib_per_sec: 12.34,
      written_mib_per_sec: 8.22,
      fsyncs_per_sec: 100,
      latency_pct: 95,
      latency_pct_ms: 0.123,
    });
    expect(parseIntervalLine('[ 1s ] 11869.57 MiB/sec')).toEqual({ elapsed_s: 1, mib_per_sec: 11869.57 });
    expect(parseIntervalLine('[ 2s ] thds: 1 eps: 5.00 lat (ms,99%): 1.50 err/s: 0.00 reconn/s: 0.00')).toEqual({
      elapsed_s: 2,
      threads: 1,
      events_per_sec: 5,
      latency_pct: 99,
      latency_pct_ms: 1.5,
      errors_per_sec: 0,
      reconnects_per_sec: 0,
    });
    expect(
      parseIntervalLine('[ 54.0s ] thds: 16 tps: 567.83 qps: 11411.67 (r/w/o: 8003.66/2272.34/1135.67) lat (ms,95%): 86.00 err/s: 0.00 reconn/s: 0.00'),
    ).toEqual({
      elapsed_s: 54,
      threads: 16,
      events_per_sec: 567.83,
      reads_per_sec: 8003.66,
      writes_per_sec: 2272.34,
      latency_pct: 95,
      latency_pct_ms: 86,
      errors_per_sec: 0,
      reconnects_per_sec: 0,
    });
    expect(parseIntervalLine('[  10s] threads: 64, tps: 7470.16, reads/s: 104636.43, writes/s: 29881.84 response time: 16.69ms (99%)')).toEqual({
      elapsed_s: 10,
      threads: 64,
      events_per_sec: 7470.16,
      reads_per_sec: 104636.43,
      writes_per_sec: 29881.84,
      latency_pct_ms: 16.69,
      latency_pct: 99,
    });
    expect(parseIntervalLine('[ 3s ] thds: 4 eps: 10.00 lat (ms,95%): 2.00 queue length: 7')).toEqual({
      elapsed_s: 3,
      threads: 4,
      events_per_sec: 10,
      latency_pct: 95,
      latency_pct_ms: 2,
      queue_length: 7,
    });
  });
  test('non-interval lines are null', () => {
    for (const l of ['', 'Threads started!', '[1]', '    min:  0.2', '[ 1s ]', '[ xs ] eps: 1', 'CPU speed:']) expect(parseIntervalLine(l)).toBeNull();
  });
});

test('detectSysbenchVersion', () => {
  expect(detectSysbenchVersion(read('1.0.20-cpu-legacy-options.txt'))).toBe('1.0.20');
  expect(detectSysbenchVersion('sysbench 0.4.12:  multi-threaded system evaluation benchmark\n')).toBe('0.4.12');
  expect(detectSysbenchVersion('sysbench 0.5:  multi-threaded system evaluation benchmark\n')).toBe('0.5');
  expect(detectSysbenchVersion('sysbench 1.1.0-bbee5d5 (using bundled LuaJIT 2.1.0-beta3)\n')).toBe('1.1.0-bbee5d5');
  expect(detectSysbenchVersion('no header here\n')).toBeNull();
});

describe('resolution: each value keeps the step sysbench printed it at (issue 13)', () => {
  test('1.0.20 cpu: by hand from the fixture text', () => {
    const [r] = parse('1.0.20-cpu.txt');
    // "3653.58" → 0.01; "2.0003s" → 0.0001 s; "7318" → 1; latency "0.27" ms → 0.01 ms; sum "1992.96" → 0.01;
    // fairness "7318.0000/0.00" → 0.0001 and 0.01; "1.9930/0.00" → 0.0001 and 0.01.
    expect(r!.resolution).toEqual({
      events_per_sec: 0.01,
      total_time_s: 0.0001,
      total_events: 1,
      latency_min_ms: 0.01,
      latency_avg_ms: 0.01,
      latency_max_ms: 0.01,
      latency_pct_ms: 0.01,
      latency_sum_ms: 0.01,
      fairness_events_avg: 0.0001,
      fairness_events_stddev: 0.01,
      fairness_exec_time_avg: 0.0001,
      fairness_exec_time_stddev: 0.01,
    });
  });
  test('units convert the step with the value: 0.4 "46.1087s" of event time is 46108.7 ms at 0.1 ms', () => {
    const all = parseSysbenchOutputStrict(read('0.4.12-rpi4-cpu-fileio-memory-threads.md.txt'));
    const withSum = all.find((i) => i.fields.latency_sum_ms !== undefined && i.resolution?.latency_sum_ms !== undefined)!;
    const printed = String(withSum.fields.latency_sum_ms! / 1000);
    const decimals = printed.includes('.') ? printed.split('.')[1]!.length : 0;
    // The step is 10^-decimals seconds (at least as fine as the value needs), in ms.
    expect(withSum.resolution!.latency_sum_ms).toBeLessThanOrEqual(Number((1000 * 10 ** -decimals).toPrecision(12)));
    // Every resolution is positive and only for fields the invocation has.
    for (const inv of all) for (const [k, v] of Object.entries(inv.resolution ?? {})) expect(v > 0 && k in inv.fields).toBe(true);
  });
});
