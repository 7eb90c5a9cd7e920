// Nested stacks in the collector: after `sysbench` points were written, every run of an agent
// that names a parent is compared with its parent (one layer, against=parent) and with the
// root of its chain (the whole stack, against=root), and the whole-stack figure is checked
// against the product of the layers. Written to measurement `overhead_chain`, so `overhead`
// (the baseline comparison every existing query reads) is untouched.
//
// Stateless and idempotent like the baseline calculator: everything is read back from
// the store, and a point's timestamp is its run's first trial.
import { checkChain, type LayerPair } from './math.js';
import { compareLayer, historyBefore, marginFor, mean, nearestRun, nearestRuns, BASELINE_POOL_RUNS, OVERHEAD_METRICS } from './seam.js';
import { replaceRunPoints, runSeries } from '../replace-run-points.js';
import type { MarginSpec } from '../../../lib/compare/margin.js';
import { clusters } from '../batch.js';
import { withGroupsOfMissingParents } from './agents.js';
import { resolveChains, type ChainAgent, type ChainProblem } from './resolve.js';
import { selectSysbench, SYSBENCH_TAGS, type SysbenchRow } from '../rows.js';
import type { FieldValue, Row, Store, StorePoint } from '../../store/store.js';
import type { Logger } from 'pino';
import type { WriteListener, WrittenResult } from '../../listener.js';

export const CHAIN_MEASUREMENT = 'overhead_chain';

export interface ChainCalculatorOptions {
  store: Store;
  /** How far apart (either side) a parent's or root's run may be. Default 24 h. */
  windowMs?: number;
  /** The user's equivalence margins (--margin), as the baseline calculator takes them. */
  margins?: MarginSpec;
  /** A bad declaration (missing parent, cycle, …); the other chains are still computed. */
  onProblem?: (p: ChainProblem & { group: string }) => void;
}

export interface ChainCalculator extends WriteListener {
  onResultsWritten(points: readonly WrittenResult[]): Promise<void>;
  /** Recomputes the chain points of every run of one group's test near anchorNs. Returns points written. */
  recompute(key: ChainKey): Promise<number>;
}

export interface ChainKey {
  group: string;
  test: string;
  profile: string;
  threads: number | null;
  anchorNs: bigint;
  /** The runs near any time in [anchorNs, untilNs] (a batch spanning days); default anchorNs. */
  untilNs?: bigint;
}

type Run = { runId: string; startNs: bigint; trials: SysbenchRow[] };

function runsOfAgent(rows: readonly SysbenchRow[], agent: string): Run[] {
  const byRun = new Map<string, Run>();
  for (const r of rows) {
    if (r.tags.agent !== agent) continue;
    const run = byRun.get(r.runId) ?? { runId: r.runId, startNs: r.timeNs, trials: [] };
    run.trials.push(r);
    if (r.timeNs < run.startNs) run.startNs = r.timeNs;
    byRun.set(r.runId, run);
  }
  return [...byRun.values()];
}

/** The agent's run nearest to startNs within the window, or null. */
function nearest(rows: readonly SysbenchRow[], agent: string, startNs: bigint, windowNs: bigint): Run | null {
  const near = rows.filter((r) => r.tags.agent === agent && r.timeNs >= startNs - windowNs && r.timeNs <= startNs + windowNs);
  const chosen = nearestRun(near, startNs);
  return chosen ? runsOfAgent(chosen.rows, agent)[0]! : null;
}

/** Each agent's latest declaration in the rows: role, group and parent. */
function agentsOf(rows: readonly SysbenchRow[]): ChainAgent[] {
  const latest = new Map<string, SysbenchRow>();
  for (const r of rows) {
    const prev = latest.get(r.tags.agent!);
    if (!prev || r.timeNs > prev.timeNs) latest.set(r.tags.agent!, r);
  }
  return [...latest.values()].map((r) => ({ agent: r.tags.agent!, group: r.tags.group!, role: r.tags.role!, parent: r.parent }));
}

/** One agent's chain points of one test and profile. */
const agentSeries = (agent: string, key: ChainKey) => runSeries(key.group, agent, key.test, key.profile);

/** A run's values of one metric, keyed by agent and run so a run used by two layers cancels. */
const sample = (run: Run, metric: string) => ({ key: `${run.trials[0]!.tags.agent}\0${run.runId}`, values: valuesOf(run, metric) });
// The product of the layers takes each run's mean on the log scale: a trial of 0 (a guest that
// stalled through a whole trial) is a value like any other, only a mean of 0 has no logarithm.
const positive = (values: readonly number[]) => values.length > 0 && mean(values) > 0;
const valuesOf = (run: Run, metric: string) =>
  run.trials.map((r) => r.values[metric as keyof SysbenchRow['values']]).filter((v): v is number => v !== undefined);

export function createChainCalculator(options: ChainCalculatorOptions): ChainCalculator {
  const { store } = options;
  const windowMs = options.windowMs ?? 24 * 3_600_000;
  if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new Error(`overhead chain: windowMs must be a positive number of milliseconds, got ${windowMs}`);
  const windowNs = BigInt(Math.round(windowMs)) * 1_000_000n;

  async function recompute(key: ChainKey): Promise<number> {
    const until = key.untilNs ?? key.anchorNs;
    // Most groups declare no parents: one small query says so before reading any rows.
    const tags = { group: key.group, test: key.test, profile: key.profile };
    const declared = await store.select({
      measurement: 'sysbench',
      fields: ['parent_agent'],
      where: { tags, from: key.anchorNs - windowNs, to: until + windowNs },
      newest: 1,
    });
    if (declared.length === 0) return 0;
    // Chains up to 8 deep reach 8 windows down; the rows of all of them are read at once.
    const span = windowNs * 8n;
    const rows = (await selectSysbench(store, { tags, from: key.anchorNs - span, to: until + span })).filter((r) => r.ok && r.threads === key.threads);
    if (!rows.some((r) => r.parent)) return 0;
    const { links, problems } = resolveChains(await withGroupsOfMissingParents(store, agentsOf(rows), key.group), key.group);
    for (const p of problems) options.onProblem?.({ ...p, group: key.group });

    let written = 0;
    for (const link of links.values()) {
      if (!link.parent) continue;
      // The runs of this agent near the anchor (those the batch may have changed).
      for (const run of runsOfAgent(rows, link.agent)) {
        if (run.startNs < key.anchorNs - windowNs || run.startNs > until + windowNs) continue;
        const points = chainPoints(rows, link.agent, link.parent, link.path, run);
        // What is stored from the run's start to its last trial: one read for both steps below.
        const series = agentSeries(link.agent, key);
        const lastNs = run.trials.reduce((m, r) => (r.timeNs > m ? r.timeNs : m), run.startNs);
        const stored = await store.select({ measurement: CHAIN_MEASUREMENT, where: { tags: series, from: run.startNs, to: lastNs } });
        await removeStale(series, run, stored);
        await replaceRunPoints(
          store,
          CHAIN_MEASUREMENT,
          series,
          run.startNs,
          points,
          stored.filter((r) => r.timeNs === run.startNs),
        );
        written += points.length;
      }
    }
    return written;
  }

  /** The layers under `run` (path root … agent): each child run against its parent's nearest run. */
  function layersUnder(rows: readonly SysbenchRow[], path: string[], run: Run): Array<{ child: Run; parent: Run }> | null {
    const layers: Array<{ child: Run; parent: Run }> = [];
    let child = run;
    for (let i = path.length - 1; i > 0; i--) {
      const parent = nearest(rows, path[i - 1]!, child.startNs, windowNs);
      if (!parent) return null;
      layers.unshift({ child, parent });
      child = parent;
    }
    return layers;
  }

  function chainPoints(rows: readonly SysbenchRow[], agent: string, parentAgent: string, path: string[] | null, run: Run): StorePoint[] {
    const first = run.trials.find((r) => r.timeNs === run.startNs)!;
    const tags: Record<string, string> = {};
    for (const t of SYSBENCH_TAGS) tags[t] = first.tags[t] ?? '';
    const threads = first.threads;
    const layers = path && path.length > 1 ? layersUnder(rows, path, run) : null;
    const parentRun = layers ? layers[layers.length - 1]!.parent : nearest(rows, parentAgent, run.startNs, windowNs);
    const rootRun = path && path.length > 1 ? nearest(rows, path[0]!, run.startNs, windowNs) : null;
    const base = { run_id: run.runId, ...(threads !== null ? { threads } : {}), ...(path ? { depth: path.length - 1, chain: path.join(' > ') } : {}) };
    // The layer's own earlier runs (its spread) and each reference agent's runs nearest it (its pool).
    const history = historyBefore(
      rows.filter((r) => r.tags.agent === agent && r.tags.variant === first.tags.variant),
      run.startNs,
    );
    const poolOf = (ref: string) =>
      nearestRuns(
        rows.filter((r) => r.tags.agent === ref && r.timeNs >= run.startNs - windowNs && r.timeNs <= run.startNs + windowNs),
        run.startNs,
        BASELINE_POOL_RUNS,
      );
    const points: StorePoint[] = [];
    for (const metric of OVERHEAD_METRICS) {
      const margin = marginFor(options.margins, first.tags.group, first.tags.test!, metric);
      if (parentRun) {
        const f = compareLayer(run.trials, history, poolOf(parentAgent), metric, margin, 'parent');
        if (f)
          points.push({
            measurement: CHAIN_MEASUREMENT,
            tags: { ...tags, metric, against: 'parent', baseline_agent: parentAgent },
            fields: { ...f, ...base, baseline_run_id: parentRun.runId },
            timestamp: run.startNs.toString(),
          });
      }
      if (!rootRun || !layers) continue;
      const whole = compareLayer(run.trials, history, poolOf(path![0]!), metric, margin, 'root');
      if (!whole) continue;
      const pairs: LayerPair[] = layers.map((l) => ({ child: sample(l.child, metric), parent: sample(l.parent, metric) }));
      const fields: Record<string, FieldValue> = { ...whole, ...base, baseline_run_id: rootRun.runId };
      if (pairs.every((p) => positive(p.child.values) && positive(p.parent.values))) {
        const check = checkChain(pairs, { child: sample(run, metric), parent: sample(rootRun, metric) });
        Object.assign(fields, {
          layers_ratio: check.layers.ratio,
          ...(check.layers.low !== undefined ? { layers_ratio_low: check.layers.low, layers_ratio_high: check.layers.high } : {}),
          interaction_ratio: check.interaction.ratio,
          ...(check.interaction.low !== undefined ? { interaction_low: check.interaction.low, interaction_high: check.interaction.high } : {}),
          layers_agree: check.agrees,
        });
      }
      points.push({
        measurement: CHAIN_MEASUREMENT,
        tags: { ...tags, metric, against: 'root', baseline_agent: path![0]! },
        fields,
        timestamp: run.startNs.toString(),
      });
    }
    return points;
  }

  /**
   * Trials that arrived out of order first stamped the run's points with a later trial's time:
   * delete those, in one request, and only where `stored` (the run's span) holds a point. A
   * DELETE for every other trial of every run was 61 of a fleet tick's 123 requests, 7.9 s (issue 26).
   */
  async function removeStale(tags: Record<string, string>, run: Run, stored: readonly Row[]): Promise<void> {
    const at = new Set(stored.map((r) => r.timeNs));
    const stale = [...new Set(run.trials.map((r) => r.timeNs))].filter((t) => t !== run.startNs && at.has(t));
    if (stale.length > 0)
      await store.delete(
        CHAIN_MEASUREMENT,
        stale.map((t) => ({ tags, from: t, to: t })),
      );
  }

  async function onResultsWritten(points: readonly WrittenResult[]): Promise<void> {
    const keys = new Map<string, { key: Omit<ChainKey, 'anchorNs'>; times: bigint[] }>();
    for (const p of points) {
      const { group, test, profile } = p.tags;
      if (!group || !test || profile === undefined || p.fields.ok === false) continue;
      const threads = typeof p.fields.threads === 'number' ? p.fields.threads : null;
      const k = JSON.stringify([group, test, profile, threads]);
      const entry = keys.get(k) ?? { key: { group, test, profile, threads }, times: [] };
      entry.times.push(BigInt(p.timestamp_ns));
      keys.set(k, entry);
    }
    // Every result's window, not only the earliest one's: a replayed spool spans days. Times
    // within two windows of each other share one read.
    for (const { key, times } of keys.values())
      for (const [from, to] of clusters(times, 2n * windowNs)) await recompute({ ...key, anchorNs: from, untilNs: to });
  }

  return { name: 'nested-stack overhead computation', owed: true, onResultsWritten, recompute };
}

/** onProblem for the collector's log: each declaration problem once per collector, not on every batch. */
export function logProblemsOnce(log: Logger, max = 10_000): (p: ChainProblem & { group: string }) => void {
  const reported = new Set<string>();
  return (p) => {
    const key = `${p.group}\0${p.message}`;
    if (reported.has(key)) return;
    if (reported.size >= max) reported.clear();
    reported.add(key);
    log.warn({ group: p.group, agent: p.agent, problem: p.kind }, `nested stack: ${p.message}`);
  };
}
