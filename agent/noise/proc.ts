// What moves benchmark numbers, read from the kernel's own counters (issue 22 item 6). Pure
// parsers of /proc and /sys text, and one reader that takes everything through a RootFs so tests
// point it at captured files (test/fixtures/noise/).
import type { RootFs } from '../detect/root-fs.js';

/** The aggregate `cpu` line of /proc/stat, in clock ticks (USER_HZ) since boot. */
export interface CpuTicks {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  /** Time a virtual CPU wanted to run but the hypervisor ran something else (0 on bare metal). */
  steal: number;
}

export interface ProcStat {
  ticks: CpuTicks;
  /** `cpuN` lines: the CPUs online now. */
  cpus: number;
}

const TICK_NAMES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** /proc/stat → the aggregate counters and the online CPU count; null when the `cpu` line is missing or garbled. */
export function parseProcStat(text: string): ProcStat | null {
  const lines = text.split('\n');
  const total = lines.find((l) => /^cpu\s/.test(l));
  if (!total) return null;
  const nums = total.trim().split(/\s+/).slice(1).map(Number);
  // Kernels before 2.6.11 print no steal column: it is 0 there, not unknown.
  if (nums.length < 4 || nums.some((n) => !Number.isFinite(n) || n < 0)) return null;
  const ticks = Object.fromEntries(TICK_NAMES.map((k, i) => [k, nums[i] ?? 0])) as unknown as CpuTicks;
  return { ticks, cpus: lines.filter((l) => /^cpu\d+\s/.test(l)).length };
}

/** /proc/loadavg: "0.52 0.58 0.59 3/214 12345". */
export interface LoadAvg {
  load1: number;
  /** Tasks runnable at the moment of reading, the reader itself included. */
  running: number;
}

export function parseLoadavg(text: string): LoadAvg | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s+\S+\s+\S+\s+(\d+)\/\d+/.exec(text);
  return m ? { load1: Number(m[1]), running: Number(m[2]) } : null;
}

/** Mean of the `cpu MHz` lines of /proc/cpuinfo (x86; absent on most ARM kernels). */
export function parseCpuinfoMhz(text: string): number | null {
  const mhz = [...text.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1])).filter((v) => v > 0);
  return mhz.length ? mhz.reduce((a, b) => a + b, 0) / mhz.length : null;
}

/**
 * The CPUs' current frequency in MHz, averaged over the CPUs: cpufreq's scaling_cur_freq (kHz)
 * where the kernel has a cpufreq driver, else /proc/cpuinfo's `cpu MHz`; null when neither is
 * readable (most guests have no cpufreq; some show the host's nominal MHz in cpuinfo).
 */
export function readCpuMhz(root: RootFs): number | null {
  const khz = root
    .list('sys/devices/system/cpu')
    .filter((d) => /^cpu\d+$/.test(d))
    .map((d) => Number(root.line(`sys/devices/system/cpu/${d}/cpufreq/scaling_cur_freq`)))
    .filter((v) => Number.isFinite(v) && v > 0);
  if (khz.length) return khz.reduce((a, b) => a + b, 0) / khz.length / 1000;
  const info = root.read('proc/cpuinfo');
  return info == null ? null : parseCpuinfoMhz(info);
}
