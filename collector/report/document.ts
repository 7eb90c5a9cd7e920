// What `virt-overhead report` shows, as one value whatever the output format: the overhead
// table, the change points (--changes) or a variant A/B (--compare), each with the facts of
// its systems. Every output (terminal, JSON, JSON lines, CSV, markdown, HTML) and the CI gate
// (--fail-on) read this one document, so they cannot disagree.
import type { MarginSpec } from '../../lib/compare/margin.js';
import type { Store } from '../store/store.js';
import { changesReport, type ChangeReportSeries } from '../changes/report.js';
import { buildReport, type Report } from './build.js';
import { buildChainReport, type ChainReport } from './chain/build.js';
import { wrongClocks, type WrongClock } from './clocks.js';
import { newestFacts, readSystemFacts, type SystemFacts, type SystemKey } from './facts.js';
import { variantRows, type VariantRow } from './variants.js';

export type ReportKind = 'overhead' | 'changes' | 'compare';

interface DocumentBase {
  database: string;
  group: string | null;
  /** Start of the period (ISO). */
  since: string;
  generatedAt: string;
  /** Each system shown, with its facts. */
  systems: SystemFacts[];
}

export interface OverheadDocument extends DocumentBase {
  kind: 'overhead';
  report: Report;
  chains: ChainReport[];
  /** The change points of the period, when asked for (the HTML page, --fail-on change). */
  changes: ChangeReportSeries[] | null;
  /** Agents of the period whose clock was wrong: their results are stored flagged and shown nowhere else. */
  wrongClocks: WrongClock[];
}

export interface ChangesDocument extends DocumentBase {
  kind: 'changes';
  series: ChangeReportSeries[];
}

export interface CompareDocument extends DocumentBase {
  kind: 'compare';
  variantA: string;
  variantB: string;
  comparisons: VariantRow[];
}

export type ReportDocument = OverheadDocument | ChangesDocument | CompareDocument;

export interface DocumentOptions {
  /** Everything the report reads: results, overhead, change points, facts, clocks, nested-stack layers. */
  store: Store;
  database: string;
  group?: string;
  /** The period: this many milliseconds up to `now`. */
  sinceMs: number;
  now?: Date;
  metrics?: 'key' | 'all';
  margins?: MarginSpec;
  /** overhead: leave trials their agent judged disturbed out (docs/noise.md); they are counted either way. */
  excludeDisturbed?: boolean;
  /** overhead: also read the change points (for the HTML page or --fail-on change). */
  withChanges?: boolean;
  /** compare: variant B against variant A. */
  variants?: { a: string; b: string };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The systems of the overhead table: each column, at the run it shows (its newest across sections). */
function overheadSystems(report: Report): SystemKey[] {
  const keys = new Map<string, SystemKey>();
  for (const s of report.sections)
    for (const m of s.metrics)
      for (const r of m.results) {
        const id = JSON.stringify([s.group, r.system.label]);
        const have = keys.get(id);
        if (have && have.at !== null && have.at >= r.runTime) continue;
        const { agent, role, variant, virt, label } = r.system;
        keys.set(id, { group: s.group, agent, label, role, variant, virt, kvm: '', at: r.runTime });
      }
  return [...keys.values()];
}

/** The guests of a change report (newest facts: a series runs up to now). */
function changeSystems(series: readonly ChangeReportSeries[]): SystemKey[] {
  const keys = new Map<string, SystemKey>();
  for (const s of series) {
    const { group, agent } = s.key;
    keys.set(JSON.stringify([group, agent]), { group, agent, label: agent, role: 'guest', variant: '', virt: '', kvm: '', at: null });
  }
  return [...keys.values()];
}

export async function buildDocument(kind: ReportKind, o: DocumentOptions): Promise<ReportDocument> {
  const now = o.now ?? new Date();
  const sinceAt = now.getTime() - o.sinceMs;
  const group = o.group ?? null;
  const scope = o.group !== undefined ? { group: o.group } : {};
  const base = { database: o.database, group, since: iso(sinceAt), generatedAt: now.toISOString() };
  if (kind === 'compare') {
    if (!o.variants || o.group === undefined) throw new Error('buildDocument: compare needs two variants and a group');
    const comparisons = await variantRows({
      store: o.store,
      group: o.group,
      since: new Date(sinceAt),
      variantA: o.variants.a,
      variantB: o.variants.b,
      margins: o.margins,
    });
    // Variants are compared across hosts: no one system to describe (the table names the hosts).
    return { kind, ...base, systems: [], variantA: o.variants.a, variantB: o.variants.b, comparisons };
  }
  if (kind === 'changes') {
    const series = await changesReport({ ...scope, store: o.store, sinceMs: sinceAt });
    return { kind, ...base, systems: await readSystemFacts(o.store, changeSystems(series)), series };
  }
  // Each agent's newest facts, read with the report: most systems are answered from them, with no
  // request after the report is built (facts.ts). Awaited below; a failure meanwhile (InfluxDB
  // down) must not go unhandled before the report's own read fails with the command's error.
  const facts = newestFacts(o.store, o.group !== undefined ? [o.group] : undefined);
  facts.catch(() => undefined);
  // Independent reads, started together: InfluxDB answers one while this process builds another.
  const [changes, report, chains, clocks] = await Promise.all([
    o.withChanges ? changesReport({ ...scope, store: o.store, sinceMs: sinceAt }) : null,
    buildReport({
      store: o.store,
      database: o.database,
      ...(o.group !== undefined ? { group: o.group } : {}),
      since: o.sinceMs,
      now,
      metrics: o.metrics ?? 'key',
      margins: o.margins,
      excludeDisturbed: o.excludeDisturbed,
    }),
    buildChainReport({ store: o.store, ...(o.group !== undefined ? { group: o.group } : {}), since: new Date(sinceAt) }),
    wrongClocks(o.store, BigInt(sinceAt) * 1_000_000n, o.group),
  ]);
  return { kind, ...base, systems: await readSystemFacts(o.store, overheadSystems(report), facts), report, chains, changes, wrongClocks: clocks };
}

/** Whether the selection held nothing to report (a group with no results, a period with no data). */
export function isEmpty(doc: ReportDocument): boolean {
  switch (doc.kind) {
    case 'overhead':
      return doc.report.sections.length === 0;
    case 'changes':
      return doc.series.length === 0;
    case 'compare':
      return doc.comparisons.length === 0;
  }
}
