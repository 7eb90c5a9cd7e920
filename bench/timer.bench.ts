// Timer mode (the installer's default): systemd starts `agent --once` every interval, so
// between runs no agent process exists. Measured here: the peak RSS of one `agent --once` run
// (GNU time's maximum resident set size, which the kernel keeps for the child), that nothing
// is left running after it (its pid and any child gone), against the resident daemon's idle
// RSS between runs (measureFootprint). The run itself is the same code either way; the
// perturbation figures (bench/perturbation.bench.ts) are taken with `agent --once` already.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../collector/stack.js';
import { MAIN } from './agent-process.js';
import { measureFootprint } from './footprint.bench.js';
import { median, sig } from './stats.js';
import type { BenchSection } from './types.js';

export interface OnceRun {
  peakRssMiB: number;
  wallS: number;
  /** Processes of this run still alive after it exited (the agent's pid and its process group). */
  leftOver: number;
}

/** One `agent --once` under /usr/bin/time -f %M (KiB); `program` starts the CLI (default: node and the built package). */
export function runOnce(collector: string, workdir: string, agentId: string, program: readonly string[] = [process.execPath, MAIN]): Promise<OnceRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      '/usr/bin/time',
      [
        '-f',
        'VO_MAXRSS_KIB %M',
        ...program,
        'agent',
        '--collector',
        collector,
        '--once',
        '--profile',
        'quick',
        '--tests',
        'cpu',
        '--trials',
        '1',
        '--workdir',
        workdir,
        '--agent-id',
        agentId,
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const m = /VO_MAXRSS_KIB (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`agent --once exited ${code}: ${err.slice(-800)}`));
      let leftOver = 0;
      try {
        process.kill(-child.pid!, 0); // anything left in the run's process group?
        leftOver = 1;
      } catch {
        leftOver = existsSync(`/proc/${child.pid}`) ? 1 : 0;
      }
      resolve({ peakRssMiB: Number(m[1]) / 1024, wallS: (performance.now() - t0) / 1000, leftOver });
    });
  });
}

export async function benchTimer(runs = 5, say: (l: string) => void = () => {}): Promise<BenchSection> {
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time missing (Debian package time)');
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-timer-'));
  const stack = await startLocalStack({ dataDir: join(dir, 'influx') });
  const once: OnceRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      once.push(await runOnce(stack.collectorAddress, join(dir, 'work'), `bench-timer-${i}`));
      say(`timer: run ${i + 1}: peak RSS ${sig(once.at(-1)!.peakRssMiB)} MiB, ${sig(once.at(-1)!.wallS)} s, left over ${once.at(-1)!.leftOver}`);
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const daemon = await measureFootprint(20, say);
  const peaks = once.map((r) => r.peakRssMiB);
  const leftOver = once.reduce((s, r) => s + r.leftOver, 0);
  return {
    title: 'Timer mode: nothing resident between runs',
    method:
      `${runs} runs of \`agent --once --profile quick --tests cpu --trials 1\` against a local collector (what virt-overhead-agent.timer starts), each under /usr/bin/time (peak RSS = the kernel's maxrss of the process); ` +
      "after each exit the run's process group is checked for survivors. Compared with the resident agent (daemon mode) idle between runs, sampled for 20 s as in the footprint benchmark.",
    results: [
      { name: 'timer mode: resident memory between runs', value: leftOver === 0 ? 0 : NaN, unit: 'MiB', goal: '0 (no process)', met: leftOver === 0 },
      { name: `timer mode: peak RSS during a run, median of ${runs}`, value: sig(median(peaks)), unit: 'MiB' },
      {
        name: 'timer mode: peak RSS, min–max',
        value: sig(Math.max(...peaks) - Math.min(...peaks)),
        unit: `MiB spread (${sig(Math.min(...peaks))}–${sig(Math.max(...peaks))})`,
      },
      { name: 'daemon mode: resident memory between runs, median', value: sig(daemon.rssMedianMiB), unit: 'MiB' },
      { name: 'daemon mode: CPU between runs', value: sig(daemon.cpuPercent, 2), unit: '%' },
    ],
    notes: [
      'The suite runs the same code in both modes, so what sysbench measures is unchanged: the perturbation benchmark already runs the agent as `agent --once`.',
      `Wall time of one quick cpu run with --once (start, detection, suite, acks, exit): median ${sig(median(once.map((r) => r.wallS)))} s.`,
    ],
  };
}
