// The noise signals of a trial from captured /proc files (test/fixtures/noise/, README there);
// every expected number is worked out by hand from the files' counters in the comments.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RootFs } from '../detect/root-fs.js';
import { contentionPct, disturbedReason, DISTURBED_PCT } from './disturbed.js';
import { readMachine, startNoiseMeter, trialSignals } from './meter.js';
import { parseLoadavg, parseProcStat } from './proc.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/noise/${name}/`, import.meta.url));
const root = (name: string, end: 'start' | 'end') => new RootFs(fixture(name) + end);

describe('contentionPct: the share of the CPU time the trial wanted that other runnable tasks took', () => {
  it('nothing lost while runnable tasks fit on the CPUs', () => {
    expect(contentionPct(1, 1, 2)).toBe(0); // the trial alone
    expect(contentionPct(2, 1, 2)).toBe(0); // one other task, a free CPU for it
    expect(contentionPct(1, 2, 2)).toBe(0); // a thread blocked (fileio): others count 0
  });
  it('fair shares beyond the CPUs', () => {
    // 1 thread + 2 others on 2 CPUs: each gets 2/3 of a CPU → 1/3 lost.
    expect(contentionPct(3, 1, 2)).toBeCloseTo(100 / 3, 12);
    // 4 threads + 1 other on 2 CPUs: the trial gets 2·4/5 = 1.6 of the 2 CPUs it could use → 20 % lost.
    expect(contentionPct(5, 4, 2)).toBeCloseTo(20, 12);
  });
});

describe('parsers', () => {
  it('/proc/stat: the aggregate line and the online CPUs; a kernel without steal column reads 0', () => {
    expect(parseProcStat('cpu  1 2 3 4\ncpu0 1 2 3 4\n')).toEqual({
      ticks: { user: 1, nice: 2, system: 3, idle: 4, iowait: 0, irq: 0, softirq: 0, steal: 0 },
      cpus: 1,
    });
    expect(parseProcStat('intr 0\n')).toBeNull();
    expect(parseProcStat('cpu  1 x 3 4\n')).toBeNull();
  });
  it('/proc/loadavg', () => {
    expect(parseLoadavg('6.24 6.49 4.10 10/254 21096\n')).toEqual({ load1: 6.24, running: 10 });
    expect(parseLoadavg('garbage')).toBeNull();
  });
});

describe('trial signals from captured files', () => {
  it('this machine, busy: no steal accounted, 2 CPUs shared with 6–15 other runnable tasks', () => {
    // The `cat` samples, each minus the reader: 9 9 9 7 10 15 6.
    const dir = fixture('this-machine') + 'samples/';
    const running = readdirSync(dir)
      .sort()
      .map((f) => parseLoadavg(readFileSync(dir + f, 'utf8'))!.running - 1);
    expect(running).toEqual([9, 9, 9, 7, 10, 15, 6]);
    const s = trialSignals({
      start: readMachine(root('this-machine', 'start')),
      end: readMachine(root('this-machine', 'end')),
      running,
      load1: 6.24,
      threads: 1,
      agentCpuMs: 20,
      wallMs: 2000,
    });
    // busy ticks (user+nice+system+irq+softirq+steal): 127872 → 128407, steal 0 → 0 %.
    expect(s.noise.steal_pct).toBe(0);
    expect(s.noise.procs_running).toBeCloseTo(65 / 7, 12);
    // Per sample, 1 thread and r−1 others on 2 CPUs get 2/r of a CPU: lost 7/9 ×3, 5/7, 8/10, 13/15, 4/6.
    const lost = (3 * 7) / 9 + 5 / 7 + 8 / 10 + 13 / 15 + 4 / 6;
    expect(s.noise.contention_pct).toBeCloseTo((lost / 7) * 100, 10);
    expect(s.noise.cpu_mhz).toBeCloseTo(2096.037, 9); // /proc/cpuinfo: no cpufreq here
    expect(s.noise.load1).toBe(6.24);
    expect(s.noise.agent_cpu_pct).toBeCloseTo(1, 12);
    expect(s.disturbed).toMatch(/^other runnable tasks took 76\.9 % of the trial's CPU time \(> 5 %; 9\.3 runnable, load 6\.24\)$/);
  });

  it('a KVM guest with steal and cpufreq (assembled): 12 % steal of the wanted time → disturbed', () => {
    const s = trialSignals({
      start: readMachine(root('steal-guest', 'start')),
      end: readMachine(root('steal-guest', 'end')),
      running: [1, 1, 1, 2],
      load1: 1.02,
      threads: 1,
      agentCpuMs: 0,
      wallMs: 10_000,
    });
    // 120 stolen of 850 + 25 + 5 + 120 = 1000 used or wanted (not of all 4000 ticks: 3 %).
    expect(s.noise.steal_pct).toBeCloseTo(12, 12);
    expect(s.noise.contention_pct).toBe(0); // one extra task on 4 CPUs
    // cpufreq (kHz) wins over cpuinfo's 2000 MHz: start (2.8+2.8+1.4+2.8)/4 = 2.45 GHz, end 2.8 → 2625 MHz.
    expect(s.noise.cpu_mhz).toBeCloseTo(2625, 9);
    expect(s.noise.agent_cpu_pct).toBe(0);
    expect(s.disturbed).toBe('steal 12.0 % of CPU time (> 5 %)');
  });

  it('nothing readable: no signal, not disturbed (absent, never 0)', () => {
    const empty = new RootFs(fixture('this-machine') + 'missing');
    const s = trialSignals({ start: readMachine(empty), end: readMachine(empty), running: [], load1: null, threads: 1, agentCpuMs: 0, wallMs: 0 });
    expect(s).toEqual({ noise: {}, disturbed: null });
  });

  it('the threshold: exactly 5 % is not disturbed, above is', () => {
    expect(DISTURBED_PCT).toBe(5);
    expect(disturbedReason({ steal_pct: 5 })).toBeNull();
    expect(disturbedReason({ steal_pct: 5.01, contention_pct: 40, procs_running: 3, load1: 2.5 })).toBe(
      "steal 5.0 % of CPU time (> 5 %); other runnable tasks took 40.0 % of the trial's CPU time (> 5 %; 3.0 runnable, load 2.50)",
    );
  });
});

describe('startNoiseMeter', () => {
  afterEach(() => vi.useRealTimers());
  it('samples /proc/loadavg every interval until stopped', () => {
    vi.useFakeTimers();
    const meter = startNoiseMeter({ root: root('steal-guest', 'end'), threads: 1, intervalMs: 100 });
    vi.advanceTimersByTime(450); // 4 samples of "2/181" → 1 runnable besides the reader
    const s = meter.stop();
    vi.advanceTimersByTime(1000); // stopped: no more samples
    expect(s.noise.procs_running).toBe(1);
    expect(s.noise.load1).toBe(1.02);
    expect(s.noise.steal_pct).toBeUndefined(); // the same file at both ends: nothing used in between
  });
  it('a trial shorter than one interval: the sample at its end, with its threads added back', () => {
    vi.useFakeTimers();
    const s = startNoiseMeter({ root: root('steal-guest', 'end'), threads: 4, intervalMs: 250 }).stop();
    expect(s.noise.procs_running).toBe(5); // 1 other + the trial's 4 threads
  });
});
