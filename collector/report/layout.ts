// The part of the report that needs no metric value: which trials make which section (group ×
// test × profile × threads), which system each trial is, which baseline is the section's
// reference (the one with most trials in the period) and which run each system shows (its latest
// in the period). Shared by the sections' arithmetic (build.ts) and the reads (reads.ts), which
// decide from a thin read of the period which trials' metrics they need, so both follow one rule.
import { isTestName, type TestName } from '../../schema/test-types.js';
import { runsOf } from '../../lib/compare/baseline.js';
import type { SysbenchRow } from '../overhead/rows.js';

export interface ReportSystem {
  agent: string;
  host: string;
  role: string;
  virt: string;
  variant: string;
  /** e.g. "native host-a", "kvm vm1", "qemu-tcg vm2 [patched]" */
  label: string;
}

/** A system of a section and its trials in the period. */
export interface SystemRows {
  system: ReportSystem;
  /** Its trials in the period; from a summary (reads.ts), those around its latest run only. */
  rows: SysbenchRow[];
  /** How many trials it has in the period (rows.length, or counted by the database). */
  trials: number;
}

/** A section before the decisions: its rows, first trial and systems in the order first met. */
export interface SectionSystems {
  test: TestName;
  rows: SysbenchRow[];
  first: SysbenchRow;
  systems: SystemRows[];
}

export interface SectionLayout {
  test: TestName;
  /** The section's successful trials, those before the period (the look-back) included. */
  rows: SysbenchRow[];
  /** Its first trial in the period (group, profile, threads). */
  first: SysbenchRow;
  /** The native baseline every guest is compared against (the baseline agent with most trials), or null. */
  reference: SystemRows | null;
  /** Each system in display order with the run shown: its latest in the period (by first trial). */
  shown: Array<{ e: SystemRows; run: SysbenchRow[] }>;
}

const VIRT_ORDER = ['none', 'kvm', 'pvm', 'firecracker', 'xen', 'hyperv', 'vmware', 'virtualbox', 'parallels', 'bhyve', 'vm-other', 'qemu-tcg'];

/** Per series (typed rows of one read share one tags object): its system, system key and section key, made once, not per trial. */
const seriesFacts = new WeakMap<object, { system: ReportSystem; key: string; section: string }>();

function factsOf(r: SysbenchRow): { system: ReportSystem; key: string; section: string } {
  let f = seriesFacts.get(r.tags);
  if (f === undefined) {
    const system = systemOf(r);
    f = { system, key: systemKey(system), section: JSON.stringify([r.tags.group, r.tags.test, r.tags.profile]) };
    seriesFacts.set(r.tags, f);
  }
  return f;
}

function systemOf(r: SysbenchRow): ReportSystem {
  return systemOfTags(r.tags);
}

/** The system a series' tags name (a summary's group of tags, or a row's). */
export function systemOfTags(t: Readonly<Record<string, string>>): ReportSystem {
  const kind = t.role === 'baseline' && (t.virt === 'none' || !t.virt) ? 'native' : t.virt || 'unknown';
  const variant = t.variant && t.variant !== 'default' ? ` [${t.variant}]` : '';
  return { agent: t.agent!, host: t.host!, role: t.role!, virt: t.virt!, variant: t.variant || 'default', label: `${kind} ${t.agent}${variant}` };
}

/** How the report names a row's system (its noise lines are keyed by it). */
export function systemLabel(r: SysbenchRow): string {
  return factsOf(r).system.label;
}

export function systemKey(s: ReportSystem): string {
  return JSON.stringify([s.agent, s.variant, s.role, s.virt]);
}

function systemOrder(a: ReportSystem, b: ReportSystem): number {
  const rank = (s: ReportSystem) => (s.role === 'baseline' ? 0 : 1) * 100 + (VIRT_ORDER.indexOf(s.virt) + 1 || 99);
  return rank(a) - rank(b) || a.agent.localeCompare(b.agent) || a.variant.localeCompare(b.variant);
}

/** The sections of `rows` (successful trials of sysbench's tests) that have trials at or after sinceNs. */
export function layoutSections(rows: readonly SysbenchRow[], sinceNs: bigint): SectionLayout[] {
  const sections = new Map<string, SysbenchRow[]>();
  for (const r of rows) {
    if (!r.ok || !isTestName(r.tags.test)) continue;
    const key = `${factsOf(r).section}${r.threads}`;
    // Appended in place: copying the section for every row made a year's report quadratic.
    const section = sections.get(key);
    if (section) section.push(r);
    else sections.set(key, [r]);
  }
  const out: SectionLayout[] = [];
  for (const allRows of sections.values()) {
    const sectionRows = allRows.filter((r) => r.timeNs >= sinceNs);
    if (sectionRows.length === 0) continue;
    const systems = new Map<string, SystemRows>();
    for (const r of sectionRows) {
      const { system, key } = factsOf(r);
      const entry = systems.get(key);
      if (entry) entry.rows.push(r);
      else systems.set(key, { system, rows: [r], trials: 0 });
    }
    for (const e of systems.values()) e.trials = e.rows.length;
    out.push(decideSection({ test: sectionRows[0]!.tags.test as TestName, rows: allRows, first: sectionRows[0]!, systems: [...systems.values()] }));
  }
  return out;
}

/** Whether the display order puts two systems level (then the order they were met decides: decideSection's sort is stable). */
export function systemsTie(a: ReportSystem, b: ReportSystem): boolean {
  return systemOrder(a, b) === 0;
}

/** A section's display order, reference (the baseline with most trials) and shown runs (each system's latest by first trial). */
export function decideSection(s: SectionSystems): SectionLayout {
  const ordered = [...s.systems].sort((a, b) => systemOrder(a.system, b.system));
  const baselines = ordered.filter((e) => e.system.role === 'baseline').sort((a, b) => b.trials - a.trials);
  return {
    test: s.test,
    rows: s.rows,
    first: s.first,
    reference: baselines[0] ?? null,
    shown: ordered.map((e) => ({ e, run: runsOf(e.rows).at(-1)!.trials })),
  };
}

/**
 * What a guest's shown run is compared with (build.ts; reads.ts reads them): the reference's
 * trials within the window around the run's start, and the guest's own trials before it
 * (compareGuestRun keeps those within HISTORY_MS). `end`: the run's last trial.
 */
export function comparedSpans(run: readonly SysbenchRow[], windowNs: bigint): { start: bigint; end: bigint; reference: [bigint, bigint] } {
  const start = runsOf(run)[0]!.startNs;
  const end = run.reduce((m, r) => (r.timeNs > m ? r.timeNs : m), start);
  return { start, end, reference: [start - windowNs, start + windowNs] };
}

/** The baseline window (ms) as the sections use it (ns). */
export function windowNsOf(windowMs: number): bigint {
  return BigInt(Math.round(windowMs)) * 1_000_000n;
}
