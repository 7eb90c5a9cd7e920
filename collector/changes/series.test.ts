// Bounding a guest's series to what the analysis sees.
import { describe, expect, it } from 'vitest';
import { bound, type OverheadSeries } from './series.js';

const run = (t: number, v = t) => ({ timeNs: BigInt(t), runId: `r${t}`, baselineRunId: '', overheadPct: v, baselineValue: 1, tags: {}, facts: {} });
const series = (metric: string, times: number[], v?: number): OverheadSeries => ({
  metric,
  baselineAgent: 'b',
  threads: 1,
  runs: times.map((t) => run(t, v ?? t)),
});
const id = (m: string) => JSON.stringify([m, 'b', 1]);
const times = (m: Map<string, OverheadSeries>, k: string) => m.get(id(k))?.runs.map((r) => [Number(r.timeNs), r.overheadPct]);

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
