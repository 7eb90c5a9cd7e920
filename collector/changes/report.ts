// `virt-overhead report --changes` and the change section of the HTML report: every overhead
// series of the guests in scope, analysed by the same code the collector runs, listing its
// change points (or why it has none: too few runs). Read through the store (store/store.ts), so
// what it decides is tested against the in-memory store (report.test.ts) and a real influxd
// (test/report-changes-stored.test.ts) alike.
import { inert } from '../../lib/inert.js';
import { MEASUREMENTS } from '../../schema/influx.js';
import type { FieldValue, Row, Selection, Store } from '../store/store.js';
import type { ChangeDetectionOptions, ChangeRecord, GuestTestKey } from './index.js';

export interface ChangeReportSeries {
  key: GuestTestKey;
  metric: string;
  baselineAgent: string;
  threads: number | null;
  runs: number;
  /** Set when the series is too short to decide. */
  tooShort?: { needed: number };
  changes: Array<{ time: string } & Omit<ChangeRecord, 'timeNs'>>;
}

export interface ChangeReportOptions {
  /** Where the collector's verdicts and change points, the overhead series and the agents' facts are read. */
  store: Store;
  group?: string;
  /** Only changes at or after this time are listed (the whole series is analysed). */
  sinceMs: number;
  /** Only these metrics (default: all). */
  metrics?: readonly string[];
  detection?: ChangeDetectionOptions;
  /** Analyse every series again here instead of reading what the collector stored (the slow path). */
  recompute?: boolean;
}

const GUEST_TAGS = ['group', 'agent', 'test', 'profile'] as const;

const nsOf = (ms: number) => BigInt(Math.floor(ms)) * 1_000_000n;
const isoOf = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
const str = (v: FieldValue | undefined) => (typeof v === 'string' ? v : '');
const inGroup = (group: string | undefined) => (group !== undefined ? { tags: { group } } : {});

/** The guests' tests with an overhead point at or after `sinceNs`: the newest point of each. */
function guestsSelection(group: string | undefined, sinceNs: bigint): Selection {
  return { measurement: 'overhead', where: { ...inGroup(group), from: sinceNs }, fields: ['overhead_pct'], newest: 1, groupBy: GUEST_TAGS };
}

function guestOf(r: Row): GuestTestKey {
  return { group: r.tags.group ?? '', agent: r.tags.agent ?? '', test: r.tags.test ?? '', profile: r.tags.profile ?? '' };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const keyOf = (k: GuestTestKey) => JSON.stringify([k.group, k.agent, k.test, k.profile]);
const byKey = (a: GuestTestKey, b: GuestTestKey) => byText(keyOf(a), keyOf(b));
/** Guest, metric and baseline, then thread count: a total order, so both paths list series alike. */
const bySeries = (a: ChangeReportSeries, b: ChangeReportSeries) =>
  byKey(a.key, b.key) || byText(a.metric + a.baselineAgent, b.metric + b.baselineAgent) || (a.threads ?? 0) - (b.threads ?? 0);

/** The slow path: the guests' series read and analysed here, by the code the collector runs. */
async function analysed(opts: ChangeReportOptions, keys: readonly GuestTestKey[]): Promise<ChangeReportSeries[]> {
  // Loaded here, not at the top: the detector and lib/changepoint are ~15 modules that a plain
  // report, and --changes reading the stored points, never run (test/cli-lazy.test.ts).
  const { createChangeDetector } = await import('./index.js');
  const detector = createChangeDetector({
    store: opts.store,
    ...(opts.detection ? { detection: opts.detection } : {}),
  });
  const sinceNs = nsOf(opts.sinceMs);
  const out: ChangeReportSeries[] = [];
  for (const key of keys) {
    for (const a of await detector.analyse(key)) {
      if (opts.metrics && !opts.metrics.includes(a.series.metric)) continue;
      const base = { key, metric: a.series.metric, baselineAgent: a.series.baselineAgent, threads: a.series.threads, runs: a.verdict.runs };
      if (a.verdict.status === 'too-short') {
        out.push({ ...base, tooShort: { needed: a.verdict.needed }, changes: [] });
        continue;
      }
      const changes = a.verdict.changes.filter((c) => c.timeNs >= sinceNs).map(({ timeNs, ...c }) => ({ time: isoOf(timeNs), ...c }));
      out.push({ ...base, changes });
    }
  }
  return out;
}

/** A verdict's or change point's series: the guest's test, metric, baseline agent and threads. */
const seriesOf = (r: Row) =>
  JSON.stringify([...GUEST_TAGS.map((t) => r.tags[t] ?? ''), r.tags.metric ?? '', r.tags.baseline_agent ?? '', r.fields.threads ?? null]);

/**
 * The fast path (issue 26): what the collector stored at its last analysis of each series
 * (`overhead_series`, `overhead_change`), read in one request instead of analysing a year of
 * every series. Guests' tests with overhead in the period but no stored verdict (written before
 * the collector stored them) are analysed as by the slow path. test/report-changes-stored.test.ts
 * holds the two paths equal on a real influxd.
 */
async function stored(opts: ChangeReportOptions): Promise<ChangeReportSeries[]> {
  const sinceNs = nsOf(opts.sinceMs);
  const [verdicts = [], changes = [], active = []] = await opts.store.selectMany([
    { measurement: 'overhead_series', where: inGroup(opts.group) },
    { measurement: 'overhead_change', where: { ...inGroup(opts.group), from: sinceNs } },
    guestsSelection(opts.group, sinceNs),
  ]);
  // Oldest first (the store's order), so each series' change points are in time order.
  const changesOf = new Map<string, Row[]>();
  for (const c of changes) changesOf.set(seriesOf(c), [...(changesOf.get(seriesOf(c)) ?? []), c]);
  // A guest's test is listed when any of its series has a run in the period (as the slow path lists it).
  const recent = new Set(verdicts.filter((v) => BigInt(str(v.fields.last_ns) || '0') >= sinceNs).map((v) => keyOf(guestOf(v))));
  const out: ChangeReportSeries[] = [];
  for (const v of verdicts) {
    const key = guestOf(v);
    const metric = v.tags.metric ?? '';
    if (!recent.has(keyOf(key)) || (opts.metrics && !opts.metrics.includes(metric))) continue;
    const base = {
      key,
      metric,
      baselineAgent: v.tags.baseline_agent ?? '',
      threads: typeof v.fields.threads === 'number' ? v.fields.threads : null,
      runs: Number(v.fields.runs),
    };
    if (v.fields.status === 'too-short') {
      out.push({ ...base, tooShort: { needed: Number(v.fields.needed) }, changes: [] });
      continue;
    }
    out.push({ ...base, changes: (changesOf.get(seriesOf(v)) ?? []).map(changeOf) });
  }
  // Guests' tests with overhead in the period the collector has not analysed since it stores verdicts.
  const known = new Set(verdicts.map((v) => keyOf(guestOf(v))));
  const due = active.map(guestOf).filter((g) => !known.has(keyOf(g)));
  return [...out, ...(due.length ? await analysed(opts, due) : [])].sort(bySeries);
}

/** A stored change point as the analysis returns it: every tag (absent ones ''), its fields but the series' threads. */
function changeOf(r: Row): ChangeReportSeries['changes'][number] {
  const tags = Object.fromEntries(MEASUREMENTS.overhead_change.tags.map((t) => [t, r.tags[t] ?? '']));
  const { threads: _threads, ...fields } = r.fields;
  return { time: isoOf(r.timeNs), tags, fields };
}

export async function changesReport(opts: ChangeReportOptions): Promise<ChangeReportSeries[]> {
  if (!opts.recompute) return stored(opts);
  const guests = (await opts.store.select(guestsSelection(opts.group, nsOf(opts.sinceMs)))).map(guestOf);
  return (await analysed(opts, guests)).sort(bySeries);
}

const f1 = (v: unknown) => (typeof v === 'number' ? (v >= 0 ? '+' : '') + v.toFixed(1) : '?');

// Stored strings (tags, run ids, facts an agent reported) are made inert one by one
// (lib/inert.ts): a line break in one of them cannot forge a line of the report.
export function seriesTitle(s: ChangeReportSeries): string {
  const t = `${s.key.group} · ${s.key.agent} · ${s.key.test} (${s.key.profile}${s.threads !== null ? `, ${s.threads} threads` : ''}) · ${s.metric} vs ${s.baselineAgent}`;
  return inert(t);
}

/** One line per change: when, what, how sure, what changed with it. */
export function describeChange(c: ChangeReportSeries['changes'][number]): string {
  const f = c.fields;
  const ci = typeof f.ci_low_pct === 'number' ? ` [${f1(f.ci_low_pct)}, ${f1(f.ci_high_pct)}]` : '';
  const cause = c.tags.cause === 'baseline' ? ' — the BASELINE changed at the same time (a baseline change, not a guest one)' : '';
  const facts = f.facts_detail ? `; changed with it: ${f.facts_detail}` : '';
  const p = typeof f.p_value === 'number' ? f.p_value.toExponential(1) : '?';
  if (f.shape === 'drift') {
    const end = f.end_run_id === undefined ? 'still drifting' : `until run ${f.end_run_id}`;
    const slope = typeof f.slope_pct_per_day === 'number' ? `, ${(f.slope_pct_per_day >= 0 ? '+' : '') + f.slope_pct_per_day.toFixed(2)} points a day` : '';
    return inert(
      `${c.time}  drift (${c.tags.kind}): overhead ${f1(f.before_pct)} % → ${f1(f.after_pct)} % over ${f.drift_runs} runs (${f1(f.change_pct)} points${slope}, p=${p}), from run ${f.run_id} ${end}${cause}${facts}`,
    );
  }
  return inert(
    `${c.time}  ${c.tags.kind}: overhead ${f1(f.before_pct)} % → ${f1(f.after_pct)} % (${f1(f.change_pct)} points${ci}, p=${p}), runs ${f.before_run_id} → ${f.run_id}${cause}${facts}`,
  );
}

export function formatChangesReport(series: readonly ChangeReportSeries[]): string {
  if (series.length === 0) return 'no overhead series in this period\n';
  const lines: string[] = [];
  for (const s of series) {
    if (s.tooShort) lines.push(`${seriesTitle(s)}: too short to decide (${s.runs} runs, needs ${s.tooShort.needed})`);
    else if (s.changes.length === 0) lines.push(`${seriesTitle(s)}: no change in ${s.runs} runs`);
    else {
      lines.push(`${seriesTitle(s)}: ${s.changes.length} change${s.changes.length > 1 ? 's' : ''} in ${s.runs} runs`);
      for (const c of s.changes) lines.push('  ' + describeChange(c));
    }
  }
  return lines.join('\n') + '\n';
}
