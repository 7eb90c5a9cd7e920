// Trials the agent judged disturbed (docs/noise.md): left out of comparisons when the user asks
// (--exclude-disturbed on the collector and the report), and counted on the comparison either
// way, so a verdict says how many of its trials ran while something else took their CPU.
import type { SysbenchRow } from './rows.js';

/** The rows to compare: without the disturbed ones when `exclude`. */
export function comparable(rows: readonly SysbenchRow[], exclude: boolean): SysbenchRow[] {
  return exclude ? rows.filter((r) => r.disturbed !== true) : [...rows];
}

/**
 * The `overhead` point's disturbed fields (docs/schema.md): disturbed trials of the guest run and
 * of the baseline runs its reference was drawn from (`referenceRunIds`, the point's
 * baseline_run_ids: a run the engine left out, say because its agent judged most of its trials
 * disturbed, is named in verdict_reason and counted in runs_excluded, not here), and whether they
 * were left out. Nothing when no trial was judged (agents before issue 22).
 */
export function disturbedFields(
  guestRows: readonly SysbenchRow[],
  baselineRows: readonly SysbenchRow[],
  baselineAgent: string,
  referenceRunIds: readonly string[],
  excluded: boolean,
): Record<string, number | boolean> {
  const used = new Set(referenceRunIds);
  const baseline = baselineRows.filter((r) => r.tags.agent === baselineAgent && used.has(r.runId));
  if (![...guestRows, ...baseline].some((r) => r.disturbed !== null)) return {};
  const count = (rows: readonly SysbenchRow[]) => rows.filter((r) => r.disturbed === true).length;
  return { n_disturbed_guest: count(guestRows), n_disturbed_baseline: count(baseline), disturbed_excluded: excluded };
}
