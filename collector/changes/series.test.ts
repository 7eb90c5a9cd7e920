// toSeries builds each run's tags and facts once per combination (issue 26: per row it was most
// of the change detector's own CPU over a year). Its answer must be the plain per-row one: the
// reference below builds every run's objects afresh, as toSeries did before.
import { describe, expect, it } from 'vitest';
import { SYSBENCH_TAGS } from '../overhead/rows.js';
import { factsAt } from '../facts/index.js';
import { byTimeAndSeries, type FieldValue, type Row, type SeriesAnswer } from '../store/store.js';
import { seriesKey } from '../influx/line.js';
import { byTime, seriesId, seriesOfAnswers, TAG_FACTS, toSeries, type FactsHistory, type OverheadSeries } from './series.js';

function reference(rows: readonly Row[], history: FactsHistory): OverheadSeries[] {
  const bySeries = new Map<string, OverheadSeries>();
  for (const { timeNs, tags: rowTags, fields: f } of rows) {
    if (typeof f.overhead_pct !== 'number' || typeof f.baseline_value !== 'number') continue;
    const metric = rowTags.metric ?? '';
    const baselineAgent = rowTags.baseline_agent ?? '';
    const threads = typeof f.threads === 'number' ? f.threads : null;
    const id = seriesId(metric, baselineAgent, threads);
    let s = bySeries.get(id);
    if (!s) bySeries.set(id, (s = { metric, baselineAgent, threads, runs: [] }));
    const tags: Record<string, string> = { metric, baseline_agent: baselineAgent };
    for (const t of SYSBENCH_TAGS) tags[t] = rowTags[t] ?? '';
    const { declared: _declared, ...facts } = factsAt(history, timeNs) as Record<string, string>;
    for (const t of TAG_FACTS) if (tags[t]) facts[t] = tags[t]!;
    s.runs.push({
      timeNs,
      runId: typeof f.run_id === 'string' ? f.run_id : '',
      baselineRunId: typeof f.baseline_run_id === 'string' ? f.baseline_run_id : '',
      overheadPct: f.overhead_pct,
      baselineValue: f.baseline_value,
      tags,
      facts,
    });
  }
  const out = [...bySeries.values()];
  for (const s of out) s.runs.sort(byTime);
  return out.sort((a, b) => (a.metric + a.baselineAgent < b.metric + b.baselineAgent ? -1 : 1));
}

/** A seeded generator (mulberry32): the same rows every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOUR = 3_600_000_000_000n;

function rowsAndHistory(seed: number): { rows: Row[]; history: FactsHistory } {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  // Facts change three times; the first rows come before any facts are known, and two periods hold equal facts.
  const history: FactsHistory = [
    { timeNs: 100n * HOUR, facts: { kernel: '6.1', qemu_version: '7.2', declared: '{"qemu":"7.2"}' } },
    { timeNs: 300n * HOUR, facts: { kernel: '6.6', qemu_version: '7.2', declared: '{"qemu":"7.2"}' } },
    { timeNs: 500n * HOUR, facts: { kernel: '6.1', qemu_version: '7.2', declared: '{"qemu":"7.2"}' } },
  ];
  const rows: Row[] = [];
  // The store hands the rows of one InfluxDB series one tags object; other stores may not.
  const seriesTags = new Map<string, Record<string, string>>();
  for (let i = 0; i < 2000; i++) {
    const tags: Record<string, string> = {
      group: 'g',
      agent: 'a',
      test: 'cpu',
      profile: 'quick',
      metric: pick(['events_per_sec', 'latency_avg_ms', 'latency_p95_ms']),
      baseline_agent: pick(['native-1', 'native-2']),
    };
    // Some tags absent, some empty, some changing: each is a fact of the run.
    if (r() < 0.9) tags.variant = pick(['stock', 'patched', '']);
    if (r() < 0.9) tags.sysbench_version = pick(['1.0.20', '1.0.18']);
    if (r() < 0.5) tags.host = pick(['h1', 'h2']);
    for (const t of SYSBENCH_TAGS) if (!(t in tags) && r() < 0.3) tags[t] = pick(['x', 'y', '']);
    const fields: Row['fields'] = { run_id: `r${i}`, baseline_run_id: `b${i % 7}` };
    if (r() < 0.97) fields.overhead_pct = (r() - 0.5) * 20;
    if (r() < 0.97) fields.baseline_value = 1000 + r() * 10;
    if (r() < 0.8) fields.threads = pick([1, 4]);
    const same = seriesTags.get(JSON.stringify(tags));
    if (!same) seriesTags.set(JSON.stringify(tags), tags);
    rows.push({ timeNs: BigInt(Math.floor(r() * 700)) * HOUR + BigInt(i), tags: same && r() < 0.7 ? same : tags, fields });
    // The same run in another InfluxDB series at the same time (another host tag): a tie the store's order decides.
    if (r() < 0.05) rows.push({ timeNs: rows.at(-1)!.timeNs, tags: { ...tags, host: 'h3' }, fields: { ...fields, overhead_pct: 1 + r() } });
  }
  // In the store's order, as toSeries gets them (oldest first, equal times by series key).
  const keyed = rows.map((row) => ({ ...row, key: seriesKey('overhead', row.tags) }));
  return { rows: keyed.sort(byTimeAndSeries).map(({ key: _k, ...row }) => row), history };
}

/** The rows as eachSeries answers them: one piece per InfluxDB series (some in two), in a shuffled order. */
function piecesOf(rows: readonly Row[], seed: number): SeriesAnswer[] {
  const r = random(seed);
  const columns = ['time', 'baseline_run_id', 'threads', 'overhead_pct', 'run_id', 'baseline_value'];
  const bySeries = new Map<string, { tags: Record<string, string>; values: Array<Array<FieldValue | null>> }>();
  for (const row of rows) {
    const key = seriesKey('overhead', row.tags);
    const s = bySeries.get(key) ?? bySeries.set(key, { tags: { ...row.tags }, values: [] }).get(key)!;
    // InfluxDB's JSON: times of 15 digits or more as decimal strings (queryAnswer), a missing field null.
    s.values.push(columns.map((c, j) => (j === 0 ? (row.timeNs >= 10n ** 14n ? row.timeNs.toString() : Number(row.timeNs)) : (row.fields[c] ?? null))));
  }
  const pieces: SeriesAnswer[] = [];
  for (const { tags, values } of bySeries.values()) {
    const cut = values.length > 3 && r() < 0.3 ? Math.floor(values.length / 2) : values.length;
    pieces.push({ tags, columns, values: values.slice(0, cut) });
    if (cut < values.length) pieces.push({ tags, columns, values: values.slice(cut) });
  }
  // Shuffled, each series' pieces kept in their order (a chunked answer's rule).
  const order = pieces.map((p, i) => ({ p, i, k: r() }));
  order.sort((a, b) => a.k - b.k);
  const seen = new Map<Record<string, string>, number>();
  return order
    .map(({ p }) => p)
    .map((p, _, all) => {
      const own = all.filter((q) => q.tags === p.tags);
      const n = seen.get(p.tags) ?? 0;
      seen.set(p.tags, n + 1);
      return own.length === 1 ? p : pieces.filter((q) => q.tags === p.tags)[n]!;
    });
}

describe('toSeries', () => {
  it.each([1, 2, 3])('gives what building every run’s tags and facts afresh gives (seed %i)', (seed) => {
    const { rows, history } = rowsAndHistory(seed);
    const got = toSeries(rows, history);
    expect(got).toStrictEqual(reference(rows, history));
    expect(got.length).toBeGreaterThan(6);
  });

  it('runs with equal tags or equal facts share one object, across periods too', () => {
    const { rows, history } = rowsAndHistory(4);
    const runs = toSeries(rows, history).flatMap((s) => s.runs);
    for (const part of ['tags', 'facts'] as const) {
      const objects = new Set(runs.map((x) => x[part]));
      const contents = new Set(runs.map((x) => JSON.stringify(x[part])));
      expect(objects.size, part).toBe(contents.size);
    }
    // Runs before any facts and runs of equal periods (the first and third) were seen.
    expect(runs.some((x) => x.facts.kernel === undefined)).toBe(true);
  });

  it('with no facts history: only the tag facts', () => {
    const { rows } = rowsAndHistory(5);
    expect(toSeries(rows, [])).toStrictEqual(reference(rows, []));
  });
});

describe('seriesOfAnswers (the overhead read per InfluxDB series)', () => {
  it.each([1, 2, 3, 6])('gives what toSeries gives on the same points as rows (seed %i)', (seed) => {
    const { rows, history } = rowsAndHistory(seed);
    const pieces = piecesOf(rows, seed);
    expect(pieces.length).toBeGreaterThan(20);
    const got = seriesOfAnswers(pieces, history);
    expect(got).toStrictEqual(toSeries(rows, history));
    // Ties of time and run id across InfluxDB series, series that differ only in threads: what the order decides was there.
    const runs = got.flatMap((s) => s.runs);
    expect(runs.some((x, i) => i > 0 && byTime(runs[i - 1]!, x) === 0)).toBe(true);
    expect(got.some((s, i) => got.some((t, j) => j !== i && t.metric === s.metric && t.baselineAgent === s.baselineAgent))).toBe(true);
  });

  it('whatever order the series come in', () => {
    const { rows, history } = rowsAndHistory(7);
    const want = toSeries(rows, history);
    for (const seed of [11, 12, 13]) expect(seriesOfAnswers(piecesOf(rows, seed), history)).toStrictEqual(want);
  });
});
