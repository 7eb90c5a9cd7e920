// The report's reads without reading every trial of the period (issue 26: `report` over a year
// ≤ 2 s). What the thin read of the period served comes from the collector's daily rollup
// `sysbench_report_1d` (collector/rollup/report-days.ts) instead, and the metrics and runs from
// each series' newest trials only:
// - the sections and the reference: the successful trials per series and thread count, InfluxDB's
//   sum() of the rollup's whole days plus the partial first and last days rolled up here from
//   their trials by the same function (and the days an overhead_owed marker names: their rollup
//   may still be owed);
// - the run each system shows: read with the trials around each series' newest one (the rollup's
//   last_ns), SLACK before it and the look-back and the window before that, which also holds
//   every guest's look-back and the reference's window around its run;
// - the noise lines: the counts summed per system, and per signal the median of the days' medians
//   (noise.ts computes the same from every trial).
// Whole 7-day buckets of the period come from the rollup's weekly level `sysbench_report_7d`
// (collector/rollup/report-weeks.ts: the same sums, and the days' medians as a list), the other
// whole days from `sysbench_report_1d` (runs shorter than a bucket as the points themselves, not
// InfluxDB's sums): a year of 1 000 guests is ~52 rows a series, not 365.
// The rollup is trusted only once a start fill finished (`rollup_filled`; the weekly level once
// the newest such point has `weeks`: that fill did the weeks too). Where it cannot give
// the thin read's answer exactly, `readByDays` answers null and the report reads every trial
// (reads.ts): no finished fill, a result stored with a wrong clock in the period, a thread count
// whose trials lie outside the tails, two series of one system in one section that name it
// differently (another host) or two systems the display order puts level (the order they were
// met decides), two systems with one noise label, and a shown run, look-back or reference window
// outside what the tails read (a system whose section's trials all lie more than SLACK before its
// series' newest trial).
// report-reads.influx.test.ts holds both paths equal.
import { median } from '../../lib/stats/stats.js';
import { isTestName, type TestName } from '../../schema/test-types.js';
import type { NoiseField } from '../../schema/noise.js';
import { HISTORY_MS } from '../overhead/compute.js';
import { comparable } from '../overhead/disturbed.js';
import { sysbenchRows, type SysbenchRow } from '../overhead/rows.js';
import { seriesKey } from '../influx/line.js';
import {
  rowOfValues,
  type Row,
  type Selection,
  type Store,
  type StorePoint,
  type Summary,
  type SummaryRow,
  type TagMatch,
  type Where,
} from '../store/store.js';
import { DAY_NS, dayOf } from '../rollup/daily.js';
import { REPORT_DAY_SOURCE, reportDayPoints } from '../rollup/report-days.js';
import { medianValues, WEEK_NS, weekOf } from '../rollup/report-weeks.js';
import {
  comparedSpans,
  decideSection,
  layoutSections,
  systemKey,
  systemLabel,
  systemOfTags,
  systemsTie,
  type SectionLayout,
  type SystemRows,
} from './layout.js';
import { noiseBySystem, type SystemNoise } from './noise.js';
import { joinSpans, readReportRows, trialFields, type MetricSpan, type ReadOptions } from './reads.js';

/** How far before a series' newest successful trial its shown run may start (a run's trials take minutes). */
const SLACK_NS = 86_400_000_000_000n;

/** How far before a shown run its rows are read: the guest's look-back or the window, whichever is longer. */
function lookBackNs(o: ReadOptions): bigint {
  const history = BigInt(HISTORY_MS) * 1_000_000n;
  return history > o.windowNs ? history : o.windowNs;
}

/** The order one select of the period answers in (time, then series key): the tails' rows and the noise lines follow it. */
function byTimeThenSeries(aNs: bigint, aKey: string, bNs: bigint, bKey: string): number {
  return aNs < bNs ? -1 : aNs > bNs ? 1 : aKey < bKey ? -1 : aKey > bKey ? 1 : 0;
}

/** The noise lines' signals and where each goes in SystemNoise. */
const NOISE_LINE: ReadonlyArray<[NoiseField, 'medianStealPct' | 'medianContentionPct' | 'medianLoad1' | 'medianCpuMhz']> = [
  ['steal_pct', 'medianStealPct'],
  ['contention_pct', 'medianContentionPct'],
  ['load1', 'medianLoad1'],
  ['cpu_mhz', 'medianCpuMhz'],
];

/** The tags a noise line is per (layout.ts labels a system by them). */
const LABEL_TAGS = ['agent', 'variant', 'role', 'virt'] as const;

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const count = (field: string) => ({ as: field, fn: 'count' as const, field });

/** What one series and thread count adds up to over some days: from the rollup's aggregates, or one partial day's point. */
interface DaysPart {
  /** The series' tags and `threads` (absent for trials without one). */
  tags: Readonly<Record<string, string>>;
  ok: number;
  judged: number;
  disturbed: number;
  /** Trials stored with a wrong clock: any makes the full read answer (they are left out, and nothing else selects them). */
  skewed: number;
  firstOkNs: bigint | null;
  lastNs: bigint | null;
  /** Per noise-line signal, the days' medians (report-days.ts). */
  medians: number[][];
}

/** The period's sections' counts and the noise lines, from its parts. */
interface PeriodCounts {
  /** Comparable successful trials per series key and thread count (layoutsOf's input). */
  trials: Map<string, { tags: Record<string, string>; threads: number; n: number }>;
  /** The noise lines in order, each with its parts (whose medians may still be added: addMedians). */
  lines: NoiseLine[];
}

interface NoiseLine {
  tags: Record<string, string>;
  label: string;
  ok: number;
  judged: number;
  disturbed: number;
  parts: DaysPart[];
  at: [bigint, string] | null;
}

/** A partial day's rollup point (report-days.ts made it from the day's trials) as a part. */
function partOfPoint(p: StorePoint): DaysPart {
  const f = p.fields as Record<string, number>;
  const day = BigInt(p.timestamp);
  return {
    tags: p.tags,
    ok: num(f.ok),
    judged: num(f.judged),
    disturbed: num(f.disturbed),
    skewed: num(f.skewed),
    firstOkNs: f.first_ok_ns === undefined ? null : day + BigInt(f.first_ok_ns),
    lastNs: f.last_ns === undefined ? null : day + BigInt(f.last_ns),
    medians: NOISE_LINE.map(([signal]) => (f[`${signal}_median`] === undefined ? [] : [f[`${signal}_median`]!])),
  };
}

/** Each series' newest trial with a thread count (tailSpans reads back from it), from the parts' newest trials. */
function newestOf(parts: ReadonlyArray<Pick<DaysPart, 'tags' | 'lastNs'>>): SummaryRow[] {
  const newest = new Map<string, SummaryRow>();
  for (const p of parts) {
    const { threads: threadsTag, ...tags } = p.tags;
    if (threadsTag === undefined || p.lastNs === null) continue;
    const key = seriesKey('sysbench', tags);
    const had = newest.get(key);
    if (!had || p.lastNs > had.timeNs) newest.set(key, { tags, timeNs: p.lastNs, values: { threads: Number(threadsTag) } });
  }
  return [...newest.values()];
}

/**
 * The period's counts from its parts: summed per series and thread count (the sections) and per
 * system (the noise lines, with the median of the days' medians), and the lines in the order of
 * their systems' first successful trial (time, then series), as the full read meets them. Null
 * where that cannot be the full read's answer: two systems with one label.
 */
function countsOf(parts: readonly DaysPart[], o: ReadOptions): PeriodCounts | null {
  const trials = new Map<string, { tags: Record<string, string>; threads: number; n: number }>();
  const lines = new Map<string, NoiseLine>();
  const labels = new Set<string>();
  for (const p of parts) {
    const { threads: threadsTag, ...tags } = p.tags;
    const key = seriesKey('sysbench', tags);
    const threads = threadsTag === undefined ? null : Number(threadsTag);
    if (p.ok === 0) continue;
    if (threads !== null) {
      const k = JSON.stringify([key, threads]);
      const n = p.ok - (o.excludeDisturbed ? p.disturbed : 0);
      const t = trials.get(k);
      if (t) t.n += n;
      else trials.set(k, { tags, threads, n });
    }
    const lineKey = JSON.stringify(LABEL_TAGS.map((t) => tags[t] ?? ''));
    let line = lines.get(lineKey);
    if (!line) {
      const label = systemOfTags(tags).label;
      // Two systems with one label: which one the line names depends on which came first.
      if (labels.has(label)) return null;
      labels.add(label);
      line = { tags, label, ok: 0, judged: 0, disturbed: 0, parts: [], at: null };
      lines.set(lineKey, line);
    }
    line.ok += p.ok;
    line.judged += p.judged;
    line.disturbed += p.disturbed;
    line.parts.push(p);
    const at: [bigint, string] = [p.firstOkNs!, key];
    if (!line.at || byTimeThenSeries(at[0], at[1], line.at[0], line.at[1]) < 0) line.at = at;
  }
  const ordered = [...lines.values()].sort((a, b) => byTimeThenSeries(a.at![0], a.at![1], b.at![0], b.at![1]));
  return { trials, lines: ordered };
}

/** The noise lines: the counts, and per signal the median of its days' medians. */
function noiseOf(lines: readonly NoiseLine[]): SystemNoise[] {
  return lines.map((l): SystemNoise => {
    const line: SystemNoise = {
      label: l.label,
      agent: l.tags.agent ?? '',
      variant: l.tags.variant || 'default',
      trials: l.ok,
      judged: l.judged,
      disturbed: l.disturbed,
      medianStealPct: null,
      medianContentionPct: null,
      medianLoad1: null,
      medianCpuMhz: null,
    };
    NOISE_LINE.forEach(([, to], i) => {
      const medians = l.parts.flatMap((p) => p.medians[i]!);
      if (medians.length) line[to] = median(medians);
    });
    return line;
  });
}

/** The period's whole UTC days [from, to) the rollup answers for, and its partial days, read from the trials. */
function periodDays(o: ReadOptions): { from: bigint; to: bigint; partial: Array<[bigint, bigint]> } {
  const from = dayOf(o.sinceNs) === o.sinceNs ? o.sinceNs : dayOf(o.sinceNs) + DAY_NS;
  const to = dayOf(o.nowNs);
  if (from >= to) return { from, to: from, partial: [[o.sinceNs, o.nowNs]] };
  return { from, to, partial: [...(o.sinceNs < from ? [[o.sinceNs, from - 1n] as [bigint, bigint]] : []), [to, o.nowNs]] };
}

/** Trials from..to (ns, both included) rolled up per UTC day as the rollup does (report-days.ts), in one request. */
async function partialDays(store: Store, spans: ReadonlyArray<[bigint, bigint]>, scope: Record<string, TagMatch>): Promise<DaysPart[]> {
  if (spans.length === 0) return [];
  const parts = await store.selectMany(spans.map(([from, to]) => ({ measurement: 'sysbench', where: { tags: scope, from, to }, fields: REPORT_DAY_SOURCE })));
  const byDay = new Map<bigint, Row[]>();
  for (const r of parts.flat()) {
    const d = dayOf(r.timeNs);
    const list = byDay.get(d);
    if (list) list.push(r);
    else byDay.set(d, [r]);
  }
  return [...byDay].flatMap(([d, rows]) => reportDayPoints(d, rows).map(partOfPoint));
}

const sum = (field: string) => ({ as: field, fn: 'sum' as const, field });
const MEDIAN_FIELDS = NOISE_LINE.map(([signal]) => `${signal}_median`);
/** The 7-day level's lists of its days' medians (report-weeks.ts). */
const MEDIANS_FIELDS = NOISE_LINE.map(([signal]) => `${signal}_medians`);

/** The fields of a day's rollup point the report reads when it reads the point itself (rolledPoints). */
const DAY_FIELDS = ['ok', 'judged', 'disturbed', 'skewed', 'first_ok_ns', 'last_ns', ...MEDIAN_FIELDS];

/** Whole days from..to (ns, to excluded) of one level of the rollup: its days, or its 7-day buckets. */
interface RolledSpan {
  measurement: 'sysbench_report_1d' | 'sysbench_report_7d';
  from: bigint;
  to: bigint;
}

/**
 * The rollup's whole days in the spans (ns, to excluded; each from the level it names: the two
 * levels' points sum alike), as InfluxDB sums them per series and thread
 * count, with each one's first successful and newest trial (`parts`); in requests of their own,
 * so each can be awaited alone: each one's newest trial (`lasts`, 20 ms of InfluxDB's time on a
 * year of 200 guests against 120 ms for the sums: the tails are read back from it meanwhile),
 * null like `parts` when a result with a wrong clock is among the days, and, the largest read (a
 * row per series and day), every day's noise medians, to be added to the parts.
 */
function rolledDays(
  store: Store & Required<Pick<Store, 'summarize' | 'eachSeries'>>,
  spans: readonly RolledSpan[],
  scope: Record<string, TagMatch>,
): { lasts: Promise<Array<Pick<DaysPart, 'tags' | 'lastNs'>> | null>; parts: Promise<DaysPart[] | null>; medians: Promise<Map<string, number[][]>> } {
  if (spans.length === 0) return { lasts: Promise.resolve([]), parts: Promise.resolve([]), medians: Promise.resolve(new Map()) };
  const wheres = spans.map(({ measurement, from, to }) => ({ measurement, where: { tags: scope, from, to: to - 1n } }));
  const of = (calls: Summary['calls'], groupBy: Summary['groupBy']) => wheres.map((w): Summary => ({ ...w, calls, groupBy }));
  const medians = ahead(mediansBySeries(store, wheres));
  const lasts = ahead(
    store.summarize([...of([count('skewed')], []), ...of([{ as: 'last_ns', fn: 'last', field: 'last_ns' }], '*')]).then((answers) => {
      const n = wheres.length;
      if (answers.slice(0, n).some((rows) => rows.some((r) => num(r.values.skewed) > 0))) return null;
      const newest = new Map<string, Pick<DaysPart, 'tags' | 'lastNs'>>();
      for (const rows of answers.slice(n))
        for (const r of rows) {
          const key = seriesKey('sysbench_report_1d', r.tags);
          const t = r.timeNs + BigInt(num(r.values.last_ns));
          const had = newest.get(key);
          if (!had) newest.set(key, { tags: r.tags, lastNs: t });
          else if (t > had.lastNs!) had.lastNs = t;
        }
      return [...newest.values()];
    }),
  );
  const sums = store.summarize([
    ...of([sum('ok'), sum('judged'), sum('disturbed')], '*'),
    ...of([{ as: 'first_ok_ns', fn: 'first', field: 'first_ok_ns' }], '*'),
  ]);
  const parts = Promise.all([sums, lasts]).then(([answers, newest]) => {
    if (newest === null) return null;
    const n = wheres.length;
    const parts = new Map<string, DaysPart>();
    const partOf = (tags: Record<string, string>) => {
      const key = seriesKey('sysbench_report_1d', tags);
      return (
        parts.get(key) ??
        parts.set(key, { tags, ok: 0, judged: 0, disturbed: 0, skewed: 0, firstOkNs: null, lastNs: null, medians: NOISE_LINE.map(() => []) }).get(key)!
      );
    };
    for (let i = 0; i < n; i++) {
      for (const r of answers[i]!) {
        const p = partOf(r.tags);
        p.ok += num(r.values.ok);
        p.judged += num(r.values.judged);
        p.disturbed += num(r.values.disturbed);
      }
      for (const r of answers[n + i]!) {
        const p = partOf(r.tags);
        const t = r.timeNs + BigInt(num(r.values.first_ok_ns));
        if (p.firstOkNs === null || t < p.firstOkNs) p.firstOkNs = t;
      }
    }
    for (const l of newest) partOf(l.tags).lastNs = l.lastNs;
    return [...parts.values()];
  });
  return { lasts, parts: ahead(parts), medians };
}

/**
 * The days' medians per series key (of the rollup's tags), per noise-line signal (in no
 * particular order: the report takes their median): folded from InfluxDB's answer series by
 * series as its parts arrive, without a Row per day (73 500
 * on a year of a 200-guest fleet: their objects cost the report ~0.6 s of CPU, most of it garbage
 * collection) and without the whole answer parsed at once (~0.1 s more: store eachSeries). A
 * 7-day point holds its days' medians as a list.
 */
async function mediansBySeries(
  store: Required<Pick<Store, 'eachSeries'>>,
  wheres: ReadonlyArray<{ measurement: RolledSpan['measurement']; where: Where }>,
): Promise<Map<string, number[][]>> {
  const out = new Map<string, number[][]>();
  const fieldsOf = (m: RolledSpan['measurement']) => (m === 'sysbench_report_7d' ? MEDIANS_FIELDS : MEDIAN_FIELDS);
  await store.eachSeries(
    wheres.map(({ measurement, where }): Selection => ({ measurement, where, fields: fieldsOf(measurement) })),
    (i, series) => {
      const key = seriesKey('sysbench_report_1d', series.tags);
      let lists = out.get(key);
      if (!lists) out.set(key, (lists = NOISE_LINE.map((): number[] => [])));
      const at = fieldsOf(wheres[i]!.measurement).map((f) => series.columns.indexOf(f));
      for (const values of series.values)
        at.forEach((j, k) => {
          const v = j < 0 ? undefined : values[j];
          if (typeof v === 'number') lists[k]!.push(v);
          else if (typeof v === 'string') for (const m of medianValues(v)) lists[k]!.push(m);
        });
    },
  );
  return out;
}

/** The days' medians added to the parts of their series and thread count (a series' days without successful trials have none). */
function addMedians(parts: readonly DaysPart[], bySeries: ReadonlyMap<string, number[][]>): void {
  for (const p of parts) {
    const lists = bySeries.get(seriesKey('sysbench_report_1d', p.tags));
    if (lists) lists.forEach((values, k) => p.medians[k]!.push(...values));
  }
}

/**
 * The whole days from..to (to excluded) but those skipped, as spans to read: the 7-day buckets
 * wholly inside with no skipped day from the 7-day level (when `weeks`), the other days from the days'.
 */
function rolledSpans(from: bigint, to: bigint, skip: ReadonlySet<bigint>, weeks: boolean): RolledSpan[] {
  const inWeeks = new Set<bigint>();
  const weekSpans: Array<[bigint, bigint]> = [];
  if (weeks)
    for (let w = weekOf(from) < from ? weekOf(from) + WEEK_NS : weekOf(from); w + WEEK_NS <= to; w += WEEK_NS) {
      const days = Array.from({ length: 7 }, (_, i) => w + BigInt(i) * DAY_NS);
      if (days.some((d) => skip.has(d))) continue;
      for (const d of days) inWeeks.add(d);
      const prev = weekSpans.at(-1);
      if (prev && prev[1] === w) prev[1] = w + WEEK_NS;
      else weekSpans.push([w, w + WEEK_NS]);
    }
  return [
    ...weekSpans.map(([a, b]): RolledSpan => ({ measurement: 'sysbench_report_7d', from: a, to: b })),
    ...daysBut(from, to, new Set([...skip, ...inWeeks])).map(([a, b]): RolledSpan => ({ measurement: 'sysbench_report_1d', from: a, to: b })),
  ];
}

/**
 * Whether a span is read as its days' rollup points (rolledPoints) rather than summed by InfluxDB
 * (rolledDays): a run of days shorter than a bucket (the days around the period's whole buckets,
 * those beside an owed day). Each statement of the sums costs InfluxDB about the same per series
 * whatever its days (issue 26: 1 010 agents, 0.5 s of its CPU for the two runs of edge days'
 * five statements against 0.3 s to read their ~7 000 points).
 */
const readAsPoints = (s: RolledSpan) => s.measurement === 'sysbench_report_1d' && s.to - s.from < WEEK_NS;

/** The days' rollup points of the spans, each a part as a partial day's (one request). */
async function rolledPoints(store: Store, spans: readonly RolledSpan[], scope: Record<string, TagMatch>): Promise<DaysPart[]> {
  if (spans.length === 0) return [];
  const answers = await store.selectMany(
    spans.map((s): Selection => ({ measurement: 'sysbench_report_1d', where: { tags: scope, from: s.from, to: s.to - 1n }, fields: DAY_FIELDS })),
  );
  return answers.flat().map((r) => partOfPoint({ measurement: 'sysbench_report_1d', tags: r.tags, fields: r.fields, timestamp: r.timeNs.toString() }));
}

/** The whole days from..to (to excluded) but those given, as spans of consecutive days. */
function daysBut(from: bigint, to: bigint, skip: ReadonlySet<bigint>): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  let start: bigint | null = null;
  for (let d = from; d < to; d += DAY_NS) {
    if (skip.has(d)) {
      if (start !== null) out.push([start, d]);
      start = null;
    } else if (start === null) start = d;
  }
  if (start !== null) out.push([start, to]);
  return out;
}

/**
 * A read started before another is awaited: when that other one fails first (InfluxDB down), this
 * one's failure must not go unhandled and kill the process past the command's clear error. It is
 * still awaited later, where it throws as before.
 */
function ahead<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined);
  return read;
}

/** The layouts and noise lines of the period from the report rollup, or null where only every trial answers exactly. */
export async function readByDays(store: Store, o: ReadOptions): Promise<{ layouts: SectionLayout[]; noise: SystemNoise[] } | null> {
  if (!store.summarize || !store.eachSeries) return null;
  const summarizing = store as Store & Required<Pick<Store, 'summarize' | 'eachSeries'>>;
  const scope: Record<string, TagMatch> = o.group !== undefined ? { group: o.group } : {};
  const days = periodDays(o);
  const partialRead = ahead(partialDays(store, days.partial, scope));
  const [filled, owed] = await store.selectMany([
    { measurement: 'rollup_filled', where: { tags: { rollup: 'sysbench_report_1d' } }, fields: ['days', 'weeks'], newest: 1 },
    { measurement: 'overhead_owed', fields: ['from_ns', 'to_ns'] },
  ]);
  // No fill finished yet (a database from before the rollup, a collector still filling it): every trial is read.
  if (filled!.length === 0) return (await partialRead, null);
  // Days whose results' rollup may still be owed (a batch in flight, a collector killed before it): read from the trials.
  const owedDays = new Set<bigint>();
  for (const m of owed!) {
    const [a, b] = [BigInt(String(m.fields.from_ns)), BigInt(String(m.fields.to_ns))];
    for (let d = dayOf(a); d <= b; d += DAY_NS) if (d >= days.from && d < days.to) owedDays.add(d);
  }
  // Whole 7-day buckets from their level once the newest fill finished it too (`weeks`: a database an earlier collector filled has days only).
  const weeks = filled![0]!.fields.weeks !== undefined;
  const spans = rolledSpans(days.from, days.to, owedDays, weeks);
  const rolled = rolledDays(
    summarizing,
    spans.filter((sp) => !readAsPoints(sp)),
    scope,
  );
  const pointsRead = ahead(rolledPoints(store, spans.filter(readAsPoints), scope));
  const [lasts, partial, points, owedParts] = await Promise.all([
    rolled.lasts,
    partialRead,
    pointsRead,
    partialDays(
      store,
      [...owedDays].map((d): [bigint, bigint] => [d, d + DAY_NS - 1n]),
      scope,
    ),
  ]);
  // The days read as points and from the trials: the parts added to InfluxDB's sums of the rest.
  const read = [...points, ...partial, ...owedParts];
  if (lasts === null || read.some((p) => p.skewed > 0)) return (await Promise.all([rolled.parts, rolled.medians]), null);
  // Each series' newest trial decides the tails to read: read while InfluxDB still sums the days
  // and answers the medians (the tails and the medians are the two largest answers).
  const tails = tailSpans(newestOf([...lasts, ...read]), o);
  const tailRead = ahead(readTails(summarizing, tails));
  const parts = (await rolled.parts)!;
  const counts = countsOf([...parts, ...read], o);
  // Two systems with one label (rare): the tails were read for nothing.
  if (counts === null) return (await Promise.all([rolled.medians, tailRead]), null);
  const [tailRows, medians] = await Promise.all([tailRead, rolled.medians]);
  addMedians(parts, medians);
  const layouts = layoutsOf(counts.trials, byTime(tailRows), o);
  if (layouts === null || !layouts.every((l) => covered(l, tails, o))) return null;
  return { layouts, noise: noiseOf(counts.lines) };
}

/** A tail select and what it reads: the test, the agents (all of the test's when `agents` is null) and its time bounds. */
interface Tail {
  selection: Selection;
  test: string;
  agents: Set<string> | null;
  from: bigint;
  to: bigint;
}

/**
 * Each series' newest trials: from its newest successful trial back SLACK, the look-back and the
 * window; and for each guest the baselines of its group and test in the window around that.
 */
function tailSpans(newest: readonly SummaryRow[], o: ReadOptions): Tail[] {
  const back = SLACK_NS + lookBackNs(o);
  const spans: MetricSpan[] = [];
  const agentsOf = new Map<string, Set<string>>();
  const baselines = new Map<string, Set<string>>();
  for (const r of newest) {
    const { test, agent, group, role } = r.tags;
    if (!isTestName(test) || agent === undefined) continue;
    agentsOf.set(test, (agentsOf.get(test) ?? new Set()).add(agent));
    if (role === 'baseline') baselines.set(JSON.stringify([group, test]), (baselines.get(JSON.stringify([group, test])) ?? new Set()).add(agent));
  }
  for (const r of newest) {
    const { test, agent, group, role } = r.tags;
    if (!isTestName(test) || agent === undefined) continue;
    spans.push({ test, agent, from: r.timeNs - back, to: o.nowNs });
    if (role !== 'guest') continue;
    for (const b of baselines.get(JSON.stringify([group, test])) ?? [])
      spans.push({ test, agent: b, from: r.timeNs - SLACK_NS - o.windowNs, to: r.timeNs + o.windowNs });
  }
  const scope: Record<string, TagMatch> = o.group !== undefined ? { group: o.group } : {};
  return joinSpans(spans).map((j) => {
    const all = [...(agentsOf.get(j.test) ?? [])].every((a) => j.agents.has(a));
    const to = j.to < o.nowNs ? j.to : o.nowNs;
    const tags = { ...scope, test: j.test, ...(all ? {} : { agent: [...j.agents].sort() }) };
    return {
      selection: { measurement: 'sysbench', where: { tags, from: j.from, to }, fields: trialFields(o.metrics, j.test) },
      test: j.test,
      agents: all ? null : j.agents,
      from: j.from,
      to,
    };
  });
}

/**
 * The tails' rows, typed a series at a time as InfluxDB's chunked answer arrives (store
 * eachSeries): ~37 000 trials with their metrics on a year of 200 guests, 3 MB of JSON that
 * selectMany would parse whole and keep as Rows until the last byte came (issue 26).
 */
async function readTails(store: Required<Pick<Store, 'eachSeries'>>, tails: readonly Tail[]): Promise<SysbenchRow[]> {
  const out: SysbenchRow[] = [];
  await store.eachSeries(
    tails.map((t) => t.selection),
    (_, series) => {
      for (const r of sysbenchRows(series.values.map((values) => rowOfValues(series.tags, series.columns, values)))) out.push(r);
    },
  );
  return out;
}

/** The tails' rows oldest first, equal times by series (as one select of the period answers). */
function byTime(rows: SysbenchRow[]): SysbenchRow[] {
  const keys = new Map<object, string>();
  const keyOf = (r: SysbenchRow) => keys.get(r.tags) ?? keys.set(r.tags, seriesKey('sysbench', r.tags)).get(r.tags)!;
  // No pair of arrays per comparison (~600 000 for a year's tails); a series key only on equal times.
  return rows.sort((a, b) => (a.timeNs !== b.timeNs ? (a.timeNs < b.timeNs ? -1 : 1) : byTimeThenSeries(a.timeNs, keyOf(a), b.timeNs, keyOf(b))));
}

/** The sections from the counts and the tails' rows, decided by layout.ts; null where the counts and rows disagree on who is there. */
function layoutsOf(trials: PeriodCounts['trials'], rows: readonly SysbenchRow[], o: ReadOptions): SectionLayout[] | null {
  const sectionOf = (t: Readonly<Record<string, string>>) => JSON.stringify([t.group, t.test, t.profile]);
  const sectionKey = (section: string, threads: number | null) => `${section}${threads}`;
  const sections = new Map<string, { systems: Map<string, SystemRows>; rows: SysbenchRow[] }>();
  for (const { tags, threads, n } of trials.values()) {
    if (n === 0 || !isTestName(tags.test)) continue;
    const key = sectionKey(sectionOf(tags), threads);
    const section = sections.get(key) ?? sections.set(key, { systems: new Map(), rows: [] }).get(key)!;
    const system = systemOfTags(tags);
    const known = section.systems.get(systemKey(system));
    // Series of one system (a sysbench upgrade) add up; if they name it differently (another
    // host), which one names it depends on which trial came first: every trial is read.
    if (known && JSON.stringify(known.system) !== JSON.stringify(system)) return null;
    if (known) known.trials += n;
    else section.systems.set(systemKey(system), { system, rows: [], trials: n });
  }
  // A series' rows share one tags object (sysbenchRows): its keys made once, not per row.
  const keysOf = new Map<object, { section: string; system: string }>();
  for (const r of comparable(rows, o.excludeDisturbed)) {
    if (!r.ok) continue;
    let keys = keysOf.get(r.tags);
    if (!keys) keysOf.set(r.tags, (keys = { section: sectionOf(r.tags), system: systemKey(systemOfTags(r.tags)) }));
    const section = sections.get(sectionKey(keys.section, r.threads));
    if (!section) continue;
    section.rows.push(r);
    if (r.timeNs >= o.sinceNs) section.systems.get(keys.system)?.rows.push(r);
  }
  const out: SectionLayout[] = [];
  for (const { systems, rows: sectionRows } of sections.values()) {
    const list = [...systems.values()];
    if (list.some((e) => e.rows.length === 0)) return null;
    for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) if (systemsTie(list[i]!.system, list[j]!.system)) return null;
    const first = sectionRows.find((r) => r.timeNs >= o.sinceNs)!;
    out.push(decideSection({ test: first.tags.test as TestName, rows: sectionRows, first, systems: list }));
  }
  return out;
}

/** Whether the tails hold each shown run with the look-back and window before it, and each guest's reference window. */
function covered(l: SectionLayout, tails: readonly Tail[], o: ReadOptions): boolean {
  const back = lookBackNs(o);
  const read = (agent: string, from: bigint, to: bigint) =>
    tails.some((t) => t.test === l.test && (t.agents === null || t.agents.has(agent)) && t.from <= from && (to < o.nowNs ? to : o.nowNs) <= t.to);
  return l.shown.every(({ e, run }) => {
    const c = comparedSpans(run, o.windowNs);
    if (!read(e.system.agent, c.start - back, c.end)) return false;
    return l.reference === null || e.system.role !== 'guest' || read(l.reference.system.agent, c.reference[0], c.reference[1]);
  });
}

/**
 * What the report is built from: its sections' layouts (the rows each computes with) and the
 * noise lines. From summaries where they answer exactly (summary-reads.ts), else from every
 * trial of the period.
 */
export async function readReport(store: Store, o: ReadOptions): Promise<{ layouts: SectionLayout[]; noise: SystemNoise[]; summarized: boolean }> {
  const summarized = await readByDays(store, o);
  if (summarized) return { ...summarized, summarized: true };
  const rows = await readReportRows(store, o);
  return { layouts: layoutSections(comparable(rows, o.excludeDisturbed), o.sinceNs), noise: noiseBySystem(rows, systemLabel, o.sinceNs), summarized: false };
}
