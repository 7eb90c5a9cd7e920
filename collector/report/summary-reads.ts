// The report's reads without reading every trial of the period (issue 26: `report` over a year
// ≤ 2 s). What the thin read of the period served comes from InfluxDB's aggregates per series
// instead, and the metrics and runs from each series' newest trials only:
// - the sections and the reference: count() of each series' successful trials per thread count
//   (threads is a field: one `WHERE threads = n` per thread count of the series' newest trials;
//   a trial with another leaves its system's count short of its noise line's: the full read);
// - the run each system shows: read with the trials around each series' newest one (last()),
//   SLACK before it and the look-back and the window before that, which also holds every
//   guest's look-back and the reference's window around its run;
// - the noise lines: count() per system, and the exact median from percentile(): InfluxDB's
//   median() of an even count is lo + (hi - lo) / 2, lib/stats' (lo + hi) / 2, which can differ
//   in the last bit; percentile() answers the values at both middle ranks, and lib/stats' median
//   of the two is the line's, bit for bit.
// Where these cannot give the thin read's answer exactly, `readBySummaries` answers null and the
// report reads every trial (reads.ts): a result stored with a wrong clock in the period (left out
// of everything; no InfluxQL condition selects "the field is absent"), a successful trial without
// threads (the encoder writes ok and threads on every trial), a thread count not among the newest
// trials', two series of one system in one section that name it differently (another host) or two
// systems the display order puts level (the
// order they were met decides), two systems with one noise label, and a shown run, look-back or
// reference window outside what the tails read (a system whose section's trials all lie more than
// SLACK before its series' newest trial).
// report-reads.influx.test.ts holds both paths equal.
import { median } from '../../lib/stats/stats.js';
import { isTestName, type TestName } from '../../schema/test-types.js';
import type { NoiseField } from '../../schema/noise.js';
import { HISTORY_MS } from '../overhead/compute.js';
import { comparable } from '../overhead/disturbed.js';
import { sysbenchRows, type SysbenchRow } from '../overhead/rows.js';
import { seriesKey } from '../influx/line.js';
import type { FieldCondition, Row, Selection, Store, Summary, SummaryRow, TagMatch, Where } from '../store/store.js';
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
function byTimeThenSeries(a: readonly [bigint, string], b: readonly [bigint, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
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

const count = (field: string, as = field) => ({ as, fn: 'count' as const, field });
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** percentile()'s N that answers the value of 0-based rank `i` of `n` (InfluxDB: rank floor(n·N/100 + 0.5) − 1). */
function rankPercentile(i: number, n: number): number {
  return ((i + 1) * 100) / n;
}

/** The layouts and noise lines of the period from summaries, or null where only every trial answers exactly. */
export async function readBySummaries(store: Store, o: ReadOptions): Promise<{ layouts: SectionLayout[]; noise: SystemNoise[] } | null> {
  if (!store.summarize) return null;
  const scope: Record<string, TagMatch> = o.group !== undefined ? { group: o.group } : {};
  const period: Where = { tags: scope, from: o.sinceNs, to: o.nowNs };
  const of = (s: Omit<Summary, 'measurement' | 'where'>, where = period): Summary => ({ measurement: 'sysbench', where, ...s });
  const ok: FieldCondition = ['ok', '=', true];
  const [skewed, newest, first, labels, labelsDisturbed] = await store.summarize([
    of({ calls: [count('clock_skew_s')], groupBy: '*' }),
    of({ calls: [{ as: 'threads', fn: 'last', field: 'threads' }], groupBy: '*' }),
    of({ calls: [{ as: 'ok', fn: 'first', field: 'ok' }], groupBy: '*' }),
    of({ fields: [ok], calls: [count('ok', 'trials'), count('disturbed', 'judged'), ...NOISE_LINE.map(([f]) => count(f))], groupBy: LABEL_TAGS }),
    of({ fields: [ok, ['disturbed', '=', true]], calls: [count('ok', 'disturbed')], groupBy: LABEL_TAGS }),
  ]);
  // A result stored with a wrong clock: every trial is read.
  if (skewed!.some((r) => num(r.values.clock_skew_s) > 0)) return null;

  // The noise lines' systems, in the order their first trial is met (time, then series).
  const noiseOf = new Map<string, { tags: Record<string, string>; at: [bigint, string] | null; row: SummaryRow }>();
  for (const row of labels!) {
    const label = systemOfTags(row.tags).label;
    if (noiseOf.has(label)) return null;
    noiseOf.set(label, { tags: row.tags, at: null, row });
  }
  const firstOk = (rows: readonly SummaryRow[]) => {
    for (const r of rows) {
      const n = noiseOf.get(systemOfTags(r.tags).label)!;
      const at: [bigint, string] = [r.timeNs, seriesKey('sysbench', r.tags)];
      if (!n.at || byTimeThenSeries(at, n.at) < 0) n.at = at;
    }
  };
  firstOk(first!.filter((r) => r.values.ok === true));
  // A series whose first trial in the period failed: its first successful one, asked of that series alone.
  const refirst = first!
    .filter((r) => r.values.ok !== true)
    .map((r) => ({
      key: seriesKey('sysbench', r.tags),
      summary: of({ fields: [ok], calls: [{ as: 'ok', fn: 'first', field: 'ok' }], groupBy: '*' }, { ...period, tags: { ...scope, ...r.tags } }),
    }));
  const disturbedOf = new Map(labelsDisturbed!.map((r) => [systemOfTags(r.tags).label, num(r.values.disturbed)]));

  // Second request: trials per series and thread count (the thread counts of the series' newest
  // trials; a successful trial with another, or none, leaves its system's count short of its noise
  // line's and the report reads every trial), the noise medians' middle values, and (at the same
  // time) each series' newest trials.
  const threadCounts = [...new Set(newest!.map((r) => r.values.threads).filter((t): t is number => typeof t === 'number'))].sort((a, b) => a - b);
  const perThreads = threadCounts.flatMap((n) => [
    of({ fields: [ok, ['threads', '=', n]], calls: [count('ok', 'n')], groupBy: '*' }),
    ...(o.excludeDisturbed ? [of({ fields: [ok, ['threads', '=', n], ['disturbed', '=', true]], calls: [count('ok', 'n')], groupBy: '*' })] : []),
  ]);
  const middles = [...noiseOf.values()].map(({ tags, row }) => {
    const calls = NOISE_LINE.flatMap(([f]) => {
      const n = num(row.values[f]);
      return n === 0 ? [] : [(n - 1) >> 1, n >> 1].map((i, k) => ({ as: `${f}${k}`, fn: 'percentile' as const, field: f, arg: rankPercentile(i, n) }));
    });
    const where = { ...period, tags: { ...scope, ...Object.fromEntries(LABEL_TAGS.map((t) => [t, tags[t] ?? ''])) } };
    return calls.length ? of({ fields: [ok], calls, groupBy: [] }, where) : null;
  });
  const tails = tailSpans(newest!, o);
  const [answers, tailParts] = await Promise.all([
    store.summarize([...perThreads, ...refirst.map((f) => f.summary), ...middles.filter((m): m is Summary => m !== null)]),
    store.selectMany(tails.map((t) => t.selection)),
  ]);

  const counted = new Map<string, number>();
  for (const rows of answers.slice(0, perThreads.length).filter((_, i) => !o.excludeDisturbed || i % 2 === 0))
    for (const r of rows) counted.set(systemOfTags(r.tags).label, (counted.get(systemOfTags(r.tags).label) ?? 0) + num(r.values.n));
  if ([...noiseOf].some(([label, { row }]) => counted.get(label) !== num(row.values.trials))) return null;
  refirst.forEach((f, i) => firstOk(answers[perThreads.length + i]!.filter((r) => seriesKey('sysbench', r.tags) === f.key)));
  const noise = noiseLines(noiseOf, disturbedOf, middles, answers.slice(perThreads.length + refirst.length));
  const trials = trialsPerSeries(threadCounts, answers.slice(0, perThreads.length), o.excludeDisturbed);
  const layouts = layoutsOf(trials, tailRows(tailParts), o);
  if (layouts === null || !layouts.every((l) => covered(l, tails, o))) return null;
  return { layouts, noise };
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

/** The tails' rows, oldest first, equal times by series (as one select of the period answers). */
function tailRows(parts: readonly Row[][]): SysbenchRow[] {
  const keys = new Map<object, string>();
  const keyOf = (r: SysbenchRow) => keys.get(r.tags) ?? keys.set(r.tags, seriesKey('sysbench', r.tags)).get(r.tags)!;
  return parts.flatMap((p) => sysbenchRows(p)).sort((a, b) => byTimeThenSeries([a.timeNs, keyOf(a)], [b.timeNs, keyOf(b)]));
}

/** Comparable successful trials per series key and thread count (the section's key is layout.ts's). */
function trialsPerSeries(
  threadCounts: readonly number[],
  answers: readonly SummaryRow[][],
  excludeDisturbed: boolean,
): Map<string, { tags: Record<string, string>; threads: number; n: number }> {
  const out = new Map<string, { tags: Record<string, string>; threads: number; n: number }>();
  const step = excludeDisturbed ? 2 : 1;
  threadCounts.forEach((threads, i) => {
    for (const r of answers[i * step]!) out.set(JSON.stringify([seriesKey('sysbench', r.tags), threads]), { tags: r.tags, threads, n: num(r.values.n) });
    if (excludeDisturbed) for (const r of answers[i * step + 1]!) out.get(JSON.stringify([seriesKey('sysbench', r.tags), threads]))!.n -= num(r.values.n);
  });
  return out;
}

/** The sections from the counts and the tails' rows, decided by layout.ts; null where the counts and rows disagree on who is there. */
function layoutsOf(trials: ReturnType<typeof trialsPerSeries>, rows: readonly SysbenchRow[], o: ReadOptions): SectionLayout[] | null {
  const sectionKey = (t: Readonly<Record<string, string>>, threads: number | null) => `${JSON.stringify([t.group, t.test, t.profile])}${threads}`;
  const sections = new Map<string, { systems: Map<string, SystemRows>; rows: SysbenchRow[] }>();
  for (const { tags, threads, n } of trials.values()) {
    if (n === 0 || !isTestName(tags.test)) continue;
    const key = sectionKey(tags, threads);
    const section = sections.get(key) ?? sections.set(key, { systems: new Map(), rows: [] }).get(key)!;
    const system = systemOfTags(tags);
    const known = section.systems.get(systemKey(system));
    // Series of one system (a sysbench upgrade) add up; if they name it differently (another
    // host), which one names it depends on which trial came first: every trial is read.
    if (known && JSON.stringify(known.system) !== JSON.stringify(system)) return null;
    if (known) known.trials += n;
    else section.systems.set(systemKey(system), { system, rows: [], trials: n });
  }
  for (const r of comparable(rows, o.excludeDisturbed)) {
    if (!r.ok) continue;
    const section = sections.get(sectionKey(r.tags, r.threads));
    if (!section) continue;
    section.rows.push(r);
    if (r.timeNs >= o.sinceNs) section.systems.get(systemKey(systemOfTags(r.tags)))?.rows.push(r);
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

/** The noise lines from the counts and the middle values (lib/stats' median of them). */
function noiseLines(
  noiseOf: Map<string, { tags: Record<string, string>; at: [bigint, string] | null; row: SummaryRow }>,
  disturbedOf: Map<string, number>,
  middles: ReadonlyArray<Summary | null>,
  answers: readonly SummaryRow[][],
): SystemNoise[] {
  const lines: Array<{ at: [bigint, string]; line: SystemNoise }> = [];
  let next = 0;
  [...noiseOf].forEach(([label, { tags, at, row }], i) => {
    const values = middles[i] ? (answers[next++]![0]?.values ?? {}) : {};
    const line: SystemNoise = {
      label,
      agent: tags.agent ?? '',
      variant: tags.variant || 'default',
      trials: num(row.values.trials),
      judged: num(row.values.judged),
      disturbed: disturbedOf.get(label) ?? 0,
      medianStealPct: null,
      medianContentionPct: null,
      medianLoad1: null,
      medianCpuMhz: null,
    };
    for (const [f, to] of NOISE_LINE) {
      const n = num(row.values[f]);
      if (n > 0) line[to] = n % 2 ? num(values[`${f}0`]) : median([num(values[`${f}0`]), num(values[`${f}1`])]);
    }
    lines.push({ at: at!, line });
  });
  return lines.sort((a, b) => byTimeThenSeries(a.at, b.at)).map((x) => x.line);
}

/**
 * What the report is built from: its sections' layouts (the rows each computes with) and the
 * noise lines. From summaries where they answer exactly (summary-reads.ts), else from every
 * trial of the period.
 */
export async function readReport(store: Store, o: ReadOptions): Promise<{ layouts: SectionLayout[]; noise: SystemNoise[]; summarized: boolean }> {
  const summarized = await readBySummaries(store, o);
  if (summarized) return { ...summarized, summarized: true };
  const rows = await readReportRows(store, o);
  return { layouts: layoutSections(comparable(rows, o.excludeDisturbed), o.sinceNs), noise: noiseBySystem(rows, systemLabel, o.sinceNs), summarized: false };
}
