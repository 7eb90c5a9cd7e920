// Verdicts end to end with real agents on one machine (issue 22 "must show"): a native baseline
// whose third run is disturbed — its agent sits in a cgroup whose CPU quota is too small for the
// work, a noisy neighbour — then a guest slowed by a known amount and an A/A guest, then a fourth
// baseline run. The slowed guest must never be `equivalent` or `better`, the A/A guest never
// `worse` or `better`, and the disturbed baseline run must be named, not averaged in.
// The known slowdown: sysbench's own rate limiter (`--rate`: events arrive as a Poisson process at
// that mean rate), 1000 events/s for the baseline and the A/A guest, 800 for the slowed one, far
// below what one core does (~38 000/s here): events/s is then the rate whatever else the machine
// runs, so the truth is exactly (1000/800 − 1)·100 = +25 %. The disturbance: the third baseline
// run's agent and its sysbench in a cgroup at 0.02 CPU, which cannot keep up with 1000 events/s.
// (A quota alone cannot give the known slowdown: on a loaded machine it may not bind, and where it
// binds its effect is not proportional — 0.6 of a quota ran sysbench at 0.53 of its speed here.)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { influxClient } from '../collector/influx/client.js';
import { MAIN, runCli, type CliResult } from './support/cli.js';
import { cpuQuotaUnavailable, createCpuQuota, type CpuQuota } from './support/cpu-quota.js';

const RATE = 1000;
const SLOW_RATE = 800;
const TRUTH_PCT = (RATE / SLOW_RATE - 1) * 100;
const DISTURBED_CPUS = 0.02;
const GROUP = 'e2e-verdict';
// Where no CPU quota can be set (no writable cgroup cpu controller) the disturbed run cannot be
// made real: the suite is skipped and says why, rather than faking the neighbour.
const noQuota = cpuQuotaUnavailable();
const dir = mkdtempSync(join(tmpdir(), 'vo-verdict-e2e-'));
let stack: LocalStack;
let quota: CpuQuota | undefined;
const runs: Array<CliResult & { who: string }> = [];
type Row = Record<string, any>;

/** A profile: cpu only, 2 s trials at a fixed event rate; one profile name, so the runs are compared. */
function profile(rate: number): string {
  const file = join(dir, `rate-${rate}.json`);
  writeFileSync(file, JSON.stringify({ name: 'rated', tests: { cpu: { threads: 1, time: 2, options: { 'cpu-max-prime': '2000', rate: String(rate) } } } }));
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
  GROUP,
  '--allow-plaintext',
];

/** The agent (and the sysbench it starts) inside the cgroup at DISTURBED_CPUS. */
function runThrottled(args: string[]): Promise<CliResult> {
  quota!.set(DISTURBED_CPUS);
  const [cmd, ...rest] = quota!.wrap([process.execPath, MAIN, ...args]);
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

async function query(q: string): Promise<Row[]> {
  return (await influxClient(stack.influxUrl, stack.database).query(q)) as unknown as Row[];
}

/** The agent's overhead point for cpu events/s once the fourth baseline run was computed (its recompute is the last write). */
async function overhead(agent: string): Promise<Row | undefined> {
  for (let i = 0; i < 300; i++) {
    const rows = await query(`SELECT * FROM overhead WHERE "group" = '${GROUP}' AND agent = '${agent}' AND metric = 'events_per_sec'`);
    if (rows.length > 0 && rows.at(-1)!.runs_baseline + rows.at(-1)!.runs_excluded >= 4) return rows.at(-1);
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

const line = (who: string, p: Row) =>
  `${who}: ${p.verdict} ${p.overhead_pct?.toFixed(2)} % [${p.ci_low_pct?.toFixed(2)}, ${p.ci_high_pct?.toFixed(2)}] margin ±${p.margin_pct} noise ±${p.noise_floor_pct?.toFixed(2)} runs ${p.runs_guest}/${p.runs_baseline} — ${p.verdict_reason}\n`;

describe.skipIf(noQuota !== null)(`verdicts with real agents${noQuota ? ` (skipped: ${noQuota})` : ''}`, () => {
  beforeAll(async () => {
    quota = createCpuQuota('vo-verdict-e2e');
    stack = await startLocalStack({ dataDir: join(dir, 'influx') });
    runs.push({ who: 'baseline 1', ...(await runCli(agentArgs('v-native', 'baseline'))) });
    runs.push({ who: 'baseline 2', ...(await runCli(agentArgs('v-native', 'baseline'))) });
    runs.push({ who: 'baseline 3 (disturbed)', ...(await runThrottled(agentArgs('v-native', 'baseline'))) });
    runs.push({ who: 'slowed guest', ...(await runCli(agentArgs('v-slow', 'guest', SLOW_RATE))) });
    runs.push({ who: 'A/A guest', ...(await runCli(agentArgs('v-same', 'guest'))) });
    runs.push({ who: 'baseline 4', ...(await runCli(agentArgs('v-native', 'baseline'))) });
  }, 900_000);

  afterAll(async () => {
    await stack?.stop();
    quota?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every agent run finished', () => {
    for (const r of runs) expect(r.code, `${r.who}: ${r.stderr.slice(-2000)}`).toBe(0);
  });

  it('the disturbed baseline run really ran slower, and its agent run is the one named', async () => {
    const byRun = await query(`SELECT events_per_sec, run_id FROM sysbench WHERE "group" = '${GROUP}' AND agent = 'v-native'`);
    const runMeans = new Map<string, number[]>();
    for (const r of byRun) runMeans.set(r.run_id, [...(runMeans.get(r.run_id) ?? []), r.events_per_sec]);
    const ordered = [...runMeans.entries()].map(([id, v]) => [id, v.reduce((a, b) => a + b, 0) / v.length] as const);
    process.stdout.write(`baseline run means: ${ordered.map(([id, m]) => `${id} ${m.toFixed(1)}`).join(', ')}\n`);
    const slowest = ordered.reduce((a, b) => (b[1] < a[1] ? b : a));
    const others = ordered.filter((r) => r !== slowest).map((r) => r[1]);
    // The quota held the run well below the others (it cannot do 1000 events/s at 0.02 CPU).
    expect(slowest[1]).toBeLessThan(0.9 * Math.min(...others));
    const p = (await overhead('v-slow'))!;
    expect(p, 'no overhead point for v-slow').toBeDefined();
    expect(p.verdict_reason).toContain(`baseline run ${slowest[0]} left out`);
    expect(p.baseline_run_ids.split(',')).not.toContain(slowest[0]);
    // The other baseline runs are in the reference, except those left out as disturbed and named
    // (on a loaded machine their agents flag them by the 5 % rule, or they lie far from the rest).
    const flaggedByAgent = [...String(p.verdict_reason).matchAll(/baseline run (\S+) left out(?::| as disturbed)/g)]
      .map((m) => m[1])
      .filter((id) => id !== slowest[0]);
    expect(p.runs_baseline + p.runs_excluded).toBe(4);
    expect(p.runs_baseline).toBe(3 - flaggedByAgent.length);
    for (const id of flaggedByAgent) expect(p.baseline_run_ids.split(',')).not.toContain(id);
  });

  it('the guest slowed by a known amount is never equivalent or better, and its interval covers the truth', async () => {
    const p = (await overhead('v-slow'))!;
    process.stdout.write(line(`slowed (truth +${TRUTH_PCT} %)`, p));
    expect(['worse', 'inconclusive']).toContain(p.verdict);
    // A 95 % interval misses the truth in 5 % of runs by design (the calibration benchmark counts
    // how often: docs/BENCHMARKS.md). So that this test fails only when the interval is wrong, not
    // unlucky, it checks the same interval widened on the log scale by z(0.9995)/z(0.975).
    const toRatio = (pct: number) => 1 / (1 + pct / 100); // throughput: guest/baseline
    const [lo, hi] = [Math.log(toRatio(p.ci_high_pct)), Math.log(toRatio(p.ci_low_pct))];
    const mid = (lo + hi) / 2;
    const half = ((hi - lo) / 2) * (3.2905 / 1.96);
    const truth = Math.log(SLOW_RATE / RATE);
    expect(truth).toBeGreaterThanOrEqual(mid - half);
    expect(truth).toBeLessThanOrEqual(mid + half);
  });

  it('the unthrottled guest (A/A) is never worse or better, and a guest of one run says what limits it', async () => {
    const p = (await overhead('v-same'))!;
    expect(p, 'no overhead point for v-same').toBeDefined();
    process.stdout.write(line('A/A', p));
    expect(['equivalent', 'inconclusive']).toContain(p.verdict);
    expect(p.verdict_reason).toMatch(/guest run-to-run spread from the prior alone \(0 earlier run\(s\)/);
    expect(p.runs_guest).toBe(1);
  });
});
