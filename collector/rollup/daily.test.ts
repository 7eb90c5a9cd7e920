// The daily rollup's arithmetic, without InfluxDB (unit tier): UTC day edges, one point per
// series, only numbers counted, rows outside the day refused. Checked against sums written out
// here; collector/rollup/history.influx.test.ts holds it to InfluxDB's own aggregation.
import { describe, expect, it } from 'vitest';
import type { Row } from '../store/store.js';
import { DAY_NS, dayOf, rollupDay, sourceFields, type RollupSpec } from './daily.js';

const SPEC: RollupSpec = {
  measurement: 'sysbench_interval_1d',
  source: 'sysbench_interval_5m',
  metrics: ['events_per_sec'],
  value: (m) => `${m}_mean`,
  min: (m) => `${m}_min`,
  max: (m) => `${m}_max`,
  countField: 'windows',
  counted: 'samples',
  lookBackMs: 0,
};
const D = 20_000n * DAY_NS;
const row = (agent: string, offsetNs: bigint, mean: number | string | undefined, lo: number, hi: number): Row => ({
  timeNs: D + offsetNs,
  tags: { agent, test: 'cpu' },
  fields: { ...(mean !== undefined ? { events_per_sec_mean: mean } : {}), events_per_sec_min: lo, events_per_sec_max: hi, threads_mean: 1 },
});

describe('daily rollup', () => {
  it('dayOf: the UTC day holding a time, before 1970 too', () => {
    expect(dayOf(D)).toBe(D);
    expect(dayOf(D + DAY_NS - 1n)).toBe(D);
    expect(dayOf(D - 1n)).toBe(D - DAY_NS);
    expect(dayOf(-1n)).toBe(-DAY_NS);
    expect(dayOf(-DAY_NS)).toBe(-DAY_NS);
  });

  it('one point per series at the day start: n, Σ, Σ², min of the mins, max of the maxes, the windows; a non-number not counted', () => {
    const rows = [
      row('a', 0n, 10, 8, 12),
      row('b', 1n, 100, 90, 110),
      row('a', 300n, 20, 5, 30),
      row('a', 600n, 'x', 1, 99),
      row('a', 900n, undefined, 0, 200),
    ];
    const points = rollupDay(SPEC, D, rows);
    expect(points).toEqual([
      {
        measurement: 'sysbench_interval_1d',
        tags: { agent: 'a', test: 'cpu' },
        // The min and max come only from windows whose mean counts: 5 and 30, not 1/0 or 99/200.
        fields: { events_per_sec_n: 2, events_per_sec_sum: 30, events_per_sec_sq: 500, events_per_sec_min: 5, events_per_sec_max: 30, windows: 4 },
        timestamp: D.toString(),
      },
      {
        measurement: 'sysbench_interval_1d',
        tags: { agent: 'b', test: 'cpu' },
        fields: { events_per_sec_n: 1, events_per_sec_sum: 100, events_per_sec_sq: 10_000, events_per_sec_min: 90, events_per_sec_max: 110, windows: 1 },
        timestamp: D.toString(),
      },
    ]);
  });

  it('with `only`, the rows without that value are left out, from the count too', () => {
    const ok = (r: Row, v: boolean | undefined): Row => ({ ...r, fields: { ...r.fields, ...(v === undefined ? {} : { ok: v }) } });
    const rows = [
      ok(row('a', 0n, 10, 10, 10), true),
      ok(row('a', 1n, 1000, 1000, 1000), false),
      ok(row('a', 2n, 500, 500, 500), undefined),
      ok(row('a', 3n, 20, 20, 20), true),
    ];
    const [p] = rollupDay({ ...SPEC, only: { field: 'ok', value: true } }, D, rows);
    expect(p!.fields).toEqual({
      events_per_sec_n: 2,
      events_per_sec_sum: 30,
      events_per_sec_sq: 500,
      events_per_sec_min: 10,
      events_per_sec_max: 20,
      windows: 2,
    });
    expect(rollupDay({ ...SPEC, only: { field: 'ok', value: true } }, D, [rows[1]!, rows[2]!])).toEqual([]);
  });

  it('a row outside the day is refused, not rolled into it', () => {
    expect(() => rollupDay(SPEC, D, [row('a', DAY_NS, 1, 1, 1)])).toThrow(/outside/);
    expect(() => rollupDay(SPEC, D, [row('a', -1n, 1, 1, 1)])).toThrow(/outside/);
  });

  it('reads the value, min and max columns of each metric', () => {
    expect(sourceFields(SPEC)).toEqual(['events_per_sec_mean', 'events_per_sec_min', 'events_per_sec_max', 'samples']);
    expect(sourceFields({ ...SPEC, only: { field: 'ok', value: true } })).toEqual([
      'events_per_sec_mean',
      'events_per_sec_min',
      'events_per_sec_max',
      'ok',
      'samples',
    ]);
  });
});
