// One suite run: every selected test of the profile, N trials each (more, up to 2N, while another
// trial still narrows the run's mean against the run-to-run spread: lib/compare/trials.ts),
// each result and interval sample spooled before it is sent.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Result, IntervalSample } from '../proto/index.js';
import type { Spool } from './spool/spool.js';
import type { TestName } from './sysbench/fields.js';
import type { Profile } from './sysbench/profiles.js';
import { runTest, type TestRun } from './sysbench/runner.js';
import type { SysbenchVersion } from './sysbench/dialect.js';
import { KEY_METRICS } from '../schema/metrics.js';
import { decideTrial, trialPlan } from '../lib/compare/trials.js';
import type { Progress } from './progress.js';
import { RootFs } from './detect/root-fs.js';
import { startNoiseMeter, type TrialSignals } from './noise/meter.js';

export interface SuiteContext {
  agentId: string;
  profile: Profile;
  tests: TestName[];
  trials: number;
  sysbench: string;
  version: SysbenchVersion;
  workdir: string;
  spool: Spool;
  /** Called after each append so the sender can send at once. */
  onSpooled: () => void;
  log: Logger;
  progress: Progress;
  signal: AbortSignal;
  /** Where /proc and /sys are read for the trials' noise signals (default '/'; tests: a fixture root). */
  noiseRoot?: string;
}

export interface SuiteOutcome {
  runId: string;
  ok: boolean;
  results: number;
  samples: number;
  failed: string[];
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

/** Timestamps in ns as decimal strings: a ms clock plus a counter so two never collide. */
let lastNs = 0n;
export function nowNs(): string {
  let ns = BigInt(Date.now()) * 1_000_000n;
  if (ns <= lastNs) ns = lastNs + 1n;
  lastNs = ns;
  return ns.toString();
}

export async function runSuite(ctx: SuiteContext): Promise<SuiteOutcome> {
  const runId = newRunId();
  const outcome: SuiteOutcome = { runId, ok: true, results: 0, samples: 0, failed: [] };
  const tests = ctx.tests.filter((t) => ctx.profile.tests[t]);
  for (const missing of ctx.tests.filter((t) => !ctx.profile.tests[t]))
    ctx.log.warn({ test: missing, profile: ctx.profile.name }, 'profile has no settings for this test; skipped');
  ctx.progress.startSuite(
    tests.map((t) => ({ test: t, spec: ctx.profile.tests[t]! })),
    ctx.trials,
  );
  const noiseRoot = new RootFs(ctx.noiseRoot ?? '/');
  for (const test of tests) {
    const spec = ctx.profile.tests[test]!;
    // Headline metrics' values so far: trials are added while they still narrow the run's mean.
    const values: Record<string, number[]> = {};
    const steps: Record<string, number> = {};
    const plan = trialPlan(ctx.trials);
    for (let trial = 1; ; trial++) {
      if (ctx.signal.aborted) return { ...outcome, ok: false };
      ctx.progress.startTest(test, trial);
      // What else ran on the machine meanwhile (steal, contention, frequency, the agent's own CPU).
      const meter = startNoiseMeter({ root: noiseRoot, threads: spec.threads });
      const run = await runTest(test, spec, {
        sysbench: ctx.sysbench,
        version: ctx.version,
        workdir: ctx.workdir,
        signal: ctx.signal,
        onInterval: (fields) => {
          const sample: IntervalSample = {
            id: `${ctx.agentId}:${runId}:${test}:${trial}:i${fields.elapsed_s}`,
            timestamp_ns: nowNs(),
            run_id: runId,
            test,
            profile: ctx.profile.name,
            trial,
            fields,
            sysbench_version: ctx.version.text,
          };
          ctx.spool.append([{ id: sample.id!, kind: 'sample', body: sample as Record<string, unknown> }]);
          outcome.samples++;
          ctx.onSpooled();
        },
      });
      const signals = meter.stop();
      ctx.progress.endTest(test, trial, run.ok, run.invocation?.ok ? (run.invocation.fields as Record<string, number>) : undefined);
      if (ctx.signal.aborted && !run.invocation?.ok) return { ...outcome, ok: false };
      spoolResult(ctx, runId, test, trial, run, signals);
      outcome.results++;
      if (!run.ok) {
        outcome.ok = false;
        outcome.failed.push(`${test} (trial ${trial}): ${run.errors.join('; ')}`);
        ctx.log.error({ test, trial, errors: run.errors }, 'sysbench run failed');
        break; // a failing test fails again; do not burn the schedule on it
      }
      const fields = run.invocation?.fields ?? {};
      for (const metric of KEY_METRICS[test]) {
        const v = fields[metric];
        if (typeof v === 'number' && Number.isFinite(v)) (values[metric] ??= []).push(v);
        const step = run.invocation?.resolution?.[metric];
        if (step !== undefined) steps[metric] = Math.max(steps[metric] ?? 0, step);
      }
      const decision = decideTrial(Object.fromEntries(Object.entries(values).map(([m, v]) => [m, { values: v, resolution: steps[m] ?? null }])), trial, plan);
      if (!decision.addTrial) break;
      if (decision.reason === 'undecided')
        ctx.log.info(
          { test, trial, undecided: decision.undecided, runSdPct: plan.runSd * 100 },
          "the run's mean is still noisy against the run-to-run spread: adding a trial",
        );
    }
  }
  return outcome;
}

function spoolResult(ctx: SuiteContext, runId: string, test: TestName, trial: number, run: TestRun, signals: TrialSignals): void {
  const inv = run.invocation;
  const result: Result = {
    id: `${ctx.agentId}:${runId}:${test}:${trial}`,
    timestamp_ns: nowNs(),
    run_id: runId,
    test,
    profile: ctx.profile.name,
    trial,
    threads: inv?.threads ?? ctx.profile.tests[test]!.threads,
    ok: run.ok,
    fields: inv?.ok ? (inv.fields as Record<string, number>) : {},
    resolution: inv?.ok ? ((inv.resolution as Record<string, number> | undefined) ?? {}) : {},
    errors: run.errors.map((e) => e.slice(0, 1000)).slice(0, 20),
    sysbench_version: ctx.version.text,
    noise: signals.noise,
    disturbed: signals.disturbed ?? '',
  };
  ctx.spool.append([{ id: result.id!, kind: 'result', body: result as Record<string, unknown> }]);
  ctx.onSpooled();
}
