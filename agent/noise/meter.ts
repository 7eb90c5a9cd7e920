// The noise signals of one trial: /proc/stat read at its start and end (steal over the trial),
// /proc/loadavg sampled while it runs (runnable tasks, contention), the CPU frequency at both
// ends and the agent's own CPU time. Every file through a RootFs (tests: captured files).
import type { TrialNoise } from '../../schema/noise.js';
import type { RootFs } from '../detect/root-fs.js';
import { contentionPct, disturbedReason } from './disturbed.js';
import { parseLoadavg, parseProcStat, readCpuMhz, type ProcStat } from './proc.js';

/** One trial's signals and whether they make it disturbed. */
export interface TrialSignals {
  noise: TrialNoise;
  /** Why the trial is disturbed (agent/noise/disturbed.ts); null when it is not. */
  disturbed: string | null;
}

/** A reading of the machine at one end of the trial. */
export interface Reading {
  stat: ProcStat | null;
  mhz: number | null;
}

export function readMachine(root: RootFs): Reading {
  const text = root.read('proc/stat');
  return { stat: text == null ? null : parseProcStat(text), mhz: readCpuMhz(root) };
}

/** Runnable tasks besides the reader (the reading thread is itself running when it reads). */
export function sampleRunning(root: RootFs): { running: number; load1: number } | null {
  const text = root.read('proc/loadavg');
  const l = text == null ? null : parseLoadavg(text);
  return l ? { running: Math.max(0, l.running - 1), load1: l.load1 } : null;
}

export interface SignalInputs {
  start: Reading;
  end: Reading;
  /** Runnable tasks (besides the agent) sampled during the trial. */
  running: readonly number[];
  /** The 1-minute load average at the end. */
  load1: number | null;
  threads: number;
  /** The agent's CPU time during the trial and the trial's wall time, ms. */
  agentCpuMs: number;
  wallMs: number;
}

const busy = (s: ProcStat) => s.ticks.user + s.ticks.nice + s.ticks.system + s.ticks.irq + s.ticks.softirq + s.ticks.steal;

/** The signals from two readings and the samples between them (pure). */
export function trialSignals(i: SignalInputs): TrialSignals {
  const noise: TrialNoise = {};
  const { start, end } = i;
  if (start.stat && end.stat) {
    // Steal over the CPU time that was used or wanted (idle and iowait are neither): what a
    // CPU-bound trial lost. `top`'s %st divides by all time, idle included, which dilutes it by
    // the CPUs the trial left idle.
    const wanted = busy(end.stat) - busy(start.stat);
    const steal = end.stat.ticks.steal - start.stat.ticks.steal;
    if (wanted > 0 && steal >= 0) noise.steal_pct = Math.min(100, (steal / wanted) * 100);
  }
  if (i.running.length > 0) {
    noise.procs_running = i.running.reduce((a, b) => a + b, 0) / i.running.length;
    const cpus = start.stat?.cpus ?? end.stat?.cpus ?? 0;
    // The time average of the share lost at each sample (the mean of a ratio, not the ratio of means).
    if (cpus > 0) noise.contention_pct = i.running.reduce((a, r) => a + contentionPct(r, i.threads, cpus), 0) / i.running.length;
  }
  if (i.load1 !== null) noise.load1 = i.load1;
  const mhz = [start.mhz, end.mhz].filter((m): m is number => m !== null);
  if (mhz.length) noise.cpu_mhz = mhz.reduce((a, b) => a + b, 0) / mhz.length;
  if (i.wallMs > 0) noise.agent_cpu_pct = Math.min(1e5, (i.agentCpuMs / i.wallMs) * 100);
  return { noise, disturbed: disturbedReason(noise) };
}

export interface MeterOptions {
  root: RootFs;
  /** The trial's sysbench threads. */
  threads: number;
  /** How often runnable tasks are sampled (default 250 ms: a 1-s trial gets 4 samples). */
  intervalMs?: number;
}

export interface NoiseMeter {
  stop(): TrialSignals;
}

/** Starts measuring; stop() when the trial ended. Costs one small file read per interval. */
export function startNoiseMeter(o: MeterOptions): NoiseMeter {
  const start = readMachine(o.root);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const running: number[] = [];
  const timer = setInterval(() => {
    const s = sampleRunning(o.root);
    if (s) running.push(s.running);
  }, o.intervalMs ?? 250);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const last = sampleRunning(o.root);
      // A trial shorter than one interval got no sample: the one taken now, after sysbench
      // exited, counts the others at its end, plus the trial's threads that just left.
      if (running.length === 0 && last) running.push(last.running + o.threads);
      return trialSignals({
        start,
        end: readMachine(o.root),
        running,
        load1: last?.load1 ?? null,
        threads: o.threads,
        agentCpuMs: (cpu.user + cpu.system) / 1000,
        wallMs,
      });
    },
  };
}
