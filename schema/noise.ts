// What else happened on the machine during a trial (issue 22 item 6): names of the signals an
// agent records per trial and the collector stores on the trial's `sysbench` point, with the
// range a real value can take (the collector refuses others). docs/schema.md describes them.

/** Each signal and its range: [min, max]. Absent where the agent could not read it. */
export const NOISE_BOUNDS = {
  /** Share of the CPU time the machine's CPUs were busy or wanted to be that the hypervisor took (steal), in %. */
  steal_pct: [0, 100],
  /** 1-minute load average at the trial's end (the trial's own threads count in it). */
  load1: [0, 1e6],
  /** Runnable tasks besides the agent, mean of samples taken during the trial (the trial's threads count). */
  procs_running: [0, 1e6],
  /** Share of the CPU time the trial's threads wanted that other runnable tasks took, in % (agent/noise/disturbed.ts). */
  contention_pct: [0, 100],
  /** Mean current CPU frequency over the CPUs, MHz (cpufreq, else /proc/cpuinfo). */
  cpu_mhz: [0, 1e6],
  /** The agent process's own CPU time during the trial, in % of one CPU. */
  agent_cpu_pct: [0, 1e5],
} as const satisfies Record<string, readonly [number, number]>;

export type NoiseField = keyof typeof NOISE_BOUNDS;
export const NOISE_FIELDS = Object.keys(NOISE_BOUNDS) as NoiseField[];
export type TrialNoise = Partial<Record<NoiseField, number>>;

/** The signals the report's noise lines show a median of (collector/report/noise.ts), in their order. */
export const NOISE_LINE_FIELDS = ['steal_pct', 'contention_pct', 'load1', 'cpu_mhz'] as const satisfies readonly NoiseField[];

/** The longest `disturbed_reason` an agent may send. */
export const MAX_DISTURBED_REASON = 256;

/** Why a signal's value cannot be stored (undefined: it can). */
export function noiseValueProblem(name: string, value: unknown): string | undefined {
  const b = (NOISE_BOUNDS as Record<string, readonly [number, number]>)[name];
  if (!b) return `'${name.slice(0, 64)}' is not a noise signal`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${name} is not a finite number`;
  if (value < b[0] || value > b[1]) return `${name} = ${value} is out of range ${b[0]} .. ${b[1]}`;
  return undefined;
}
