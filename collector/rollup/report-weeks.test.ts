// The 7-day level's lists of days' medians read back as the same doubles, and its buckets are
// InfluxDB's GROUP BY time(7d) ones (report-reads.influx.test.ts holds the level against the
// full read on a real influxd).
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../lib/stats/random.js';
import { medianList, medianValues, WEEK_NS, weekOf } from './report-weeks.js';

describe('medianList / medianValues', () => {
  it('round-trips every double bit for bit, -0 included, in order', () => {
    const r = mulberry32(7);
    const hard = [0, -0, 0.1 + 0.2, 1e-7, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 2400.005, 0.011000000000000001, 123456789.98765433];
    const random = Array.from({ length: 2000 }, () => (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20));
    for (const values of [hard, random, [3], []]) {
      const back = medianValues(medianList(values));
      expect(back.length).toBe(values.length);
      values.forEach((v, i) => expect(Object.is(back[i], v), `${v}`).toBe(true));
    }
  });
});

describe('weekOf', () => {
  it('is the start of the epoch-aligned 7-day bucket (Thursday 00:00 UTC), before the epoch too', () => {
    const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
    expect(weekOf(ns('2026-11-20T12:00:00Z'))).toBe(ns('2026-11-19T00:00:00Z'));
    expect(weekOf(ns('2026-11-19T00:00:00Z'))).toBe(ns('2026-11-19T00:00:00Z'));
    expect(weekOf(ns('2026-11-18T23:59:59.999Z'))).toBe(ns('2026-11-12T00:00:00Z'));
    expect(new Date(Number(weekOf(ns('2026-12-08T01:00:00Z')) / 1_000_000n)).getUTCDay()).toBe(4);
    expect(weekOf(-1n)).toBe(-WEEK_NS);
  });
});
