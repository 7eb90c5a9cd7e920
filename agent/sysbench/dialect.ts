// sysbench's command-line dialects. 1.0 and later: `sysbench <test> --threads=N --time=T run`;
// 0.4 and 0.5: `sysbench --test=<test> --num-threads=N --max-time=T --max-requests=0 run`
// (0.4/0.5 stop after 10 000 requests unless told otherwise, 1.0 after the time). The test
// options themselves (--cpu-max-prime, --file-total-size, ...) kept their names across versions.
import type { TestName } from './fields.js';
import type { TestSpec } from './profiles.js';

export type Phase = 'prepare' | 'run' | 'cleanup';

export interface SysbenchVersion {
  text: string; // e.g. "1.0.20"
  major: number;
  minor: number;
}

export function parseVersionLine(line: string): SysbenchVersion | null {
  const m = /sysbench\s+(\d+)\.(\d+)(?:\.(\d+))?(?:-[\w.+]+)?/.exec(line);
  if (!m) return null;
  return { text: m[0].replace(/^sysbench\s+/, ''), major: Number(m[1]), minor: Number(m[2]) };
}

export function isModern(v: SysbenchVersion): boolean {
  return v.major >= 1;
}

export function buildArgs(version: SysbenchVersion, test: TestName, spec: TestSpec, phase: Phase, reportInterval: boolean): string[] {
  const threads = phase === 'prepare' && spec.prepareThreads ? spec.prepareThreads : spec.threads;
  const opts = Object.entries(spec.options).map(([k, v]) => `--${k}=${v}`);
  if (isModern(version)) {
    const args = [test, `--threads=${threads}`];
    if (phase === 'run' && spec.time !== undefined) args.push(`--time=${spec.time}`);
    if (phase === 'run' && reportInterval) args.push('--report-interval=1');
    return [...args, ...opts, phase];
  }
  const args = [`--test=${test}`, `--num-threads=${threads}`];
  if (phase === 'run' && spec.time !== undefined) args.push(`--max-time=${spec.time}`, '--max-requests=0');
  // --report-interval exists since 0.5.
  if (phase === 'run' && reportInterval && version.minor >= 5) args.push('--report-interval=1');
  return [...args, ...opts, phase];
}
