// Wall time of detect() on this machine, no probe boot (issue 4 goal: under 200 ms).
import { detect } from '../agent/detect/index.js';
import type { BenchResult } from './types.js';
import { median } from './stats.js';

async function timeRuns(runs: number, opts: Parameters<typeof detect>[0]): Promise<number[]> {
  await detect(opts); // warm-up: module loading and first spawn are not what an agent repeats
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await detect(opts);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}

export async function benchDetect(runs = 20): Promise<BenchResult[]> {
  const plain = await timeRuns(runs, {});
  const withSystemd = await timeRuns(runs, { runSystemdDetectVirt: true });
  const round = (x: number) => Math.round(x * 10) / 10;
  return [
    {
      name: `detect() wall time (as the agent calls it), median of ${runs}`,
      value: round(median(plain)),
      unit: 'ms',
      goal: '< 200 ms',
      met: median(plain) < 200,
    },
    { name: `detect() wall time, max of ${runs}`, value: round(Math.max(...plain)), unit: 'ms' },
    { name: `detect() with systemd-detect-virt (as the CLI runs it), median of ${runs}`, value: round(median(withSystemd)), unit: 'ms' },
  ];
}
