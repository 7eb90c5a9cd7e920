// Verdicts end to end with real agents on one machine (issue 13 "must show"): a native baseline
// (three runs, so the margin is its measured noise floor), a second agent doing the same (an A/A
// comparison: never `worse` or `better`) and an agent slowed by a known amount (verdict `worse`,
// its interval covering the truth).
// The known slowdown: sysbench's own rate limiter (`--rate`: events arrive as a Poisson process
// at that mean rate), 150 events/s for the baseline and the A/A agent, 100 events/s for the slowed
// one, far below what one core does (~3600/s here): events/s is then the rate whatever else the
// machine runs, so the true overhead is exactly (150/100 − 1)·100 = +50 %. Why not stop the process
// for a fraction of the time (SIGSTOP duty cycle) or a cgroup quota: on a contended machine
// (load 20 on 2 cores while this was written) the stopped time overlaps time the process would
// not have run anyway, and a 31 % duty cycle measured −0.07 %; the size is not known in advance.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { influxClient } from '../collector/influx/client.js';
import { writeFileSync } from 'node:fs';
import { runCli, type CliResult } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-verdict-e2e-'));
const RATE = 150;
const SLOW_RATE = 100;
const TRUTH_PCT = (RATE / SLOW_RATE - 1) * 100;
let stack: LocalStack;
const runs: CliResult[] = [];
type Row = Record<string, any>;

/** A profile: cpu only, 3 s trials at a fixed event rate; one profile name, so the runs are compared. */
function profile(rate: number): string {
  const file = join(dir, `rate-${rate}.json`);
  writeFileSync(file, JSON.stringify({ name: 'rated', tests: { cpu: { threads: 1, time: 3, options: { 'cpu-max-prime': '2000', rate: String(rate) } } } }));
  return file;
}

const agentArgs = (id: string, role: string, rate = RATE) => [
  'agent',
  '--collector',
  stack.collectorAddress,
  '--once',
  '--profile',
  profile(rate),
  '--tests',
  'cpu',
  '--trials',
  '3',
  '--workdir',
  join(dir, id),
  '--agent-id',
  id,
  '--role',
  role,
  '--group',
  'e2e-verdict',
  '--allow-plaintext',
];

async function overhead(agent: string): Promise<Row | undefined> {
  for (let i = 0; i < 300; i++) {
    const rows = (await influxClient(stack.influxUrl, stack.database).query(
      `SELECT * FROM overhead WHERE "group" = 'e2e-verdict' AND agent = '${agent}' AND metric = 'events_per_sec'`,
    )) as unknown as Row[];
    if (rows.length > 0) return rows[rows.length - 1];
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: join(dir, 'influx') });
  // Baseline runs around each guest, so each guest's nearest baseline run is minutes away.
  runs.push(await runCli(agentArgs('v-native', 'baseline')));
  runs.push(await runCli(agentArgs('v-same', 'guest')));
  runs.push(await runCli(agentArgs('v-native', 'baseline')));
  runs.push(await runCli(agentArgs('v-slow', 'guest', SLOW_RATE)));
  runs.push(await runCli(agentArgs('v-native', 'baseline')));
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('verdicts with real agents', () => {
  it('every agent run finished', () => {
    for (const r of runs) expect(r.code, r.stderr.slice(-2000)).toBe(0);
  });

  it('the unthrottled agent (A/A) is never worse or better than the baseline', async () => {
    const p = (await overhead('v-same'))!;
    expect(p, 'no overhead point for v-same').toBeDefined();
    process.stdout.write(
      `A/A: ${p.verdict} ${p.overhead_pct?.toFixed(2)} % [${p.ci_low_pct?.toFixed(2)}, ${p.ci_high_pct?.toFixed(2)}] margin ±${p.margin_pct} (${p.margin_source})\n`,
    );
    expect(['equivalent', 'inconclusive']).toContain(p.verdict);
  });

  it('the agent slowed by a known amount is worse, and its interval covers the truth', async () => {
    const p = (await overhead('v-slow'))!;
    expect(p, 'no overhead point for v-slow').toBeDefined();
    process.stdout.write(
      `slowed (truth +${TRUTH_PCT} %): ${p.verdict} ${p.overhead_pct.toFixed(2)} % [${p.ci_low_pct.toFixed(2)}, ${p.ci_high_pct.toFixed(2)}] margin ±${p.margin_pct}\n`,
    );
    expect(p.verdict).toBe('worse');
    // A 95 % interval misses the truth in 5 % of runs by design (the calibration benchmark
    // measures how often: docs/BENCHMARKS.md). So that this test fails only when the interval is
    // wrong, not unlucky, it checks the same interval widened on the log scale by
    // z(0.9995)/z(0.975) = 3.2905/1.9600 (≈ 99.9 % for large df, ≥ 99 % from df 6).
    const toRatio = (pct: number) => 1 / (1 + pct / 100); // throughput: guest/baseline
    const [lo, hi] = [Math.log(toRatio(p.ci_high_pct)), Math.log(toRatio(p.ci_low_pct))];
    const mid = (lo + hi) / 2;
    const half = ((hi - lo) / 2) * (3.2905 / 1.96);
    const truth = Math.log(SLOW_RATE / RATE);
    process.stdout.write(`95 % interval covers the truth: ${p.ci_low_pct <= TRUTH_PCT && TRUTH_PCT <= p.ci_high_pct}\n`);
    expect(truth).toBeGreaterThanOrEqual(mid - half);
    expect(truth).toBeLessThanOrEqual(mid + half);
  });
});
