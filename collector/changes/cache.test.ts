// The detector's in-memory series: merging a re-read range, bounding, forgetting.
import { describe, expect, it } from 'vitest';
import { bound, LruMap, mergeRange } from './cache.js';
import type { OverheadSeries } from './series.js';

const run = (t: number, v = t) => ({ timeNs: BigInt(t), runId: `r${t}`, baselineRunId: '', overheadPct: v, baselineValue: 1, tags: {}, facts: {} });
const series = (metric: string, times: number[], v?: number): OverheadSeries => ({
  metric,
  baselineAgent: 'b',
  threads: 1,
  runs: times.map((t) => run(t, v ?? t)),
});
const id = (m: string) => JSON.stringify([m, 'b', 1]);
const times = (m: Map<string, OverheadSeries>, k: string) => m.get(id(k))?.runs.map((r) => [Number(r.timeNs), r.overheadPct]);

describe('mergeRange', () => {
  it('replaces the runs inside the range (recomputed, added, deleted), keeps those outside, keeps time order', () => {
    const cached = new Map([[id('a'), series('a', [10, 20, 30, 40, 50])]]);
    // The range [20, 40] now holds run 20 recomputed (value 200) and a new run 35; runs 30 and 40 are gone.
    const fresh = [{ ...series('a', []), runs: [run(20, 200), run(35, 350)] }, series('new', [30])];
    const out = mergeRange(cached, fresh, 20n, 40n);
    expect(times(out, 'a')).toEqual([
      [10, 10],
      [20, 200],
      [35, 350],
      [50, 50],
    ]);
    expect(times(out, 'new')).toEqual([[30, 30]]);
    expect(times(cached, 'a')).toEqual([10, 20, 30, 40, 50].map((t) => [t, t])); // the input is untouched
  });
});

describe('bound', () => {
  it('keeps runs since the cut-off, at most maxRuns newest; drops emptied series', () => {
    const m = new Map([
      [id('a'), series('a', [1, 2, 3, 4, 5])],
      [id('old'), series('old', [1])],
    ]);
    const out = bound(m, 2n, 3);
    expect(times(out, 'a')).toEqual([3, 4, 5].map((t) => [t, t]));
    expect(out.has(id('old'))).toBe(false);
  });
});

describe('LruMap', () => {
  it('forgets the least recently used entry beyond its size', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1); // a is now the most recent
    m.set('c', 3);
    expect([m.get('a'), m.get('b'), m.get('c'), m.size]).toEqual([1, undefined, 3, 2]);
  });
});
