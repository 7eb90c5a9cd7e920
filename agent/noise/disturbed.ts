// When a trial is "disturbed": its number says more about what else ran on the machine than
// about the system measured. Two signals, both in the same unit — the share of the CPU time the
// trial wanted that it did not get (docs/noise.md explains the choice of 5 %):
// - steal: the hypervisor ran something else on our vCPUs (a noisy neighbour of a guest);
// - contention: more runnable tasks than CPUs, so the trial's threads queued for a CPU (a
//   noisy neighbour of a native host, or inside the guest).
import type { TrialNoise } from '../../schema/noise.js';

/** A trial that lost more than this share of its CPU time (steal or contention), in %, is disturbed. */
export const DISTURBED_PCT = 5;

/**
 * The share (%) of the CPU time `threads` CPU-bound threads want that other runnable tasks take,
 * under fair sharing, when `running` tasks are runnable (the trial's threads included) on `cpus`
 * CPUs: threads + others ≤ cpus loses nothing; beyond, each runnable task gets cpus/(threads +
 * others) of a CPU. A trial whose threads block (fileio, mutex) has fewer runnable than threads:
 * its others count as 0 — contention is then underestimated, never invented.
 */
export function contentionPct(running: number, threads: number, cpus: number): number {
  if (!(threads >= 1 && cpus >= 1)) return 0;
  const others = Math.max(0, running - threads);
  const wanted = Math.min(threads, cpus);
  const got = threads + others > cpus ? (cpus * threads) / (threads + others) : threads;
  return (1 - Math.min(got, wanted) / wanted) * 100;
}

/** Why the trial counts as disturbed (null: it does not, or nothing was readable). */
export function disturbedReason(noise: TrialNoise, limitPct = DISTURBED_PCT): string | null {
  const why: string[] = [];
  if (noise.steal_pct !== undefined && noise.steal_pct > limitPct) why.push(`steal ${noise.steal_pct.toFixed(1)} % of CPU time (> ${limitPct} %)`);
  if (noise.contention_pct !== undefined && noise.contention_pct > limitPct)
    why.push(
      `other runnable tasks took ${noise.contention_pct.toFixed(1)} % of the trial's CPU time (> ${limitPct} %; ${noise.procs_running?.toFixed(1) ?? '?'} runnable, load ${noise.load1?.toFixed(2) ?? '?'})`,
    );
  return why.length ? why.join('; ') : null;
}
