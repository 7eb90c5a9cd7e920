// What a guest run is compared with: of one baseline agent's runs, the run whose first trial is
// nearest in time to the guest run's first trial (ties: the earlier run). One run against one run
// keeps the comparison like for like (both measured under the conditions of one moment); the
// baseline's other runs give its run-to-run spread, i.e. the noise floor (margin.ts).

export interface TimedTrial {
  runId: string;
  timeNs: bigint;
}

export interface Run<T extends TimedTrial> {
  runId: string;
  startNs: bigint;
  trials: T[];
}

/** Trials grouped into runs, ordered by each run's first trial. */
export function runsOf<T extends TimedTrial>(trials: readonly T[]): Run<T>[] {
  const runs = new Map<string, Run<T>>();
  for (const t of trials) {
    const r = runs.get(t.runId) ?? { runId: t.runId, startNs: t.timeNs, trials: [] };
    r.trials.push(t);
    if (t.timeNs < r.startNs) r.startNs = t.timeNs;
    runs.set(t.runId, r);
  }
  return [...runs.values()].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
}

/** The run nearest in time to `startNs` (ties: the earlier run), or null without runs. */
export function nearestRun<T extends TimedTrial>(trials: readonly T[], startNs: bigint): Run<T> | null {
  let best: { run: Run<T>; dist: bigint } | null = null;
  for (const run of runsOf(trials)) {
    const d = run.startNs > startNs ? run.startNs - startNs : startNs - run.startNs;
    if (!best || d < best.dist) best = { run, dist: d };
  }
  return best?.run ?? null;
}
