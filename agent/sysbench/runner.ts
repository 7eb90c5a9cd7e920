// Runs one sysbench test (a prepared one such as fileio: prepare, run and cleanup as one unit), streams every
// interval line the moment it is printed, and kills a hung sysbench after the test's timeout:
// its whole process group, and without waiting for an end of output that a child of it holding
// the pipe open would never send.
import { spawn } from 'node:child_process';
import { statfsSync, mkdirSync } from 'node:fs';
import { buildArgs, parseVersionLine, type Phase, type SysbenchVersion } from './dialect.js';
import { preparedBytes, type TestSpec } from './profiles.js';
import { TEST_TYPES } from '../../schema/test-types.js';
import type { IntervalFields, Invocation, TestName } from './fields.js';
import { parseIntervalLine, parseSysbenchOutput } from './parser/index.js';
import { LineSplitter } from './lines.js';
import { metricProblem, stepProblem } from '../../schema/bounds.js';

export class SysbenchMissingError extends Error {
  override name = 'SysbenchMissingError';
}

export interface PhaseOutput {
  phase: Phase;
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string;
}

export interface TestRun {
  test: TestName;
  ok: boolean;
  errors: string[];
  /** The parsed `run` invocation (absent when the run never started). */
  invocation?: Invocation;
  phases: PhaseOutput[];
  startedAt: number;
  endedAt: number;
}

export interface RunOptions {
  sysbench: string;
  version: SysbenchVersion;
  workdir: string;
  onInterval?: (sample: IntervalFields) => void;
  /** Aborting kills the running phase; a prepared test's cleanup still runs. */
  signal?: AbortSignal;
}

export async function sysbenchVersion(bin: string): Promise<SysbenchVersion> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new SysbenchMissingError(`sysbench is not installed (${bin} not found): install the package 'sysbench' (apt-get install sysbench)`)
          : err,
      ),
    );
    child.once('close', () => resolve(text));
  });
  const v = parseVersionLine(out);
  if (!v) throw new Error(`cannot read the sysbench version from '${out.trim().slice(0, 200)}'`);
  return v;
}

/** After sysbench exits, how long its output may take to end before whatever holds the pipe is killed. */
export const PIPE_GRACE_MS = 2000;
/** After the kill, how long to wait for the exit before giving up on it (a process stuck in the kernel). */
const EXIT_WAIT_MS = 5000;

function runPhase(opts: RunOptions, test: TestName, spec: TestSpec, phase: Phase, cwd: string, signal: AbortSignal | undefined): Promise<PhaseOutput> {
  const argv = buildArgs(opts.version, test, spec, phase, opts.onInterval !== undefined);
  return new Promise((resolve, reject) => {
    // Its own process group, so that a timeout or a stop kills everything it started.
    const child = spawn(opts.sysbench, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // Untrusted text, split in linear time with capped lines (lines.ts): `text` keeps stdout and
    // stderr as they arrive, for the parser; `live` reads stdout's interval lines as they come.
    const text = new LineSplitter();
    const live = new LineSplitter((line) => {
      const sample = parseIntervalLine(line);
      // An interval value out of range is left out (absent, never invented); the sample stays.
      if (sample && metricProblem('elapsed_s', sample.elapsed_s) === undefined)
        opts.onInterval?.(Object.fromEntries(Object.entries(sample).filter(([k, v]) => metricProblem(k, v) === undefined)) as IntervalFields);
    }, false);
    let timedOut = false;
    let settled = false;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let grace: NodeJS.Timeout | undefined;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      signal?.removeEventListener('abort', kill);
      child.stdout.destroy();
      child.stderr.destroy();
      text.end();
      resolve({ phase, argv, exitCode, signal: exitSignal, timedOut, output: text.text() });
    };
    const kill = () => {
      killGroup();
      // Answered by 'exit' then 'close'; a process that cannot die (stuck in the kernel) is not waited for.
      setTimeout(done, EXIT_WAIT_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, spec.timeoutS * 1000);
    signal?.addEventListener('abort', kill, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text.push(chunk);
      if (opts.onInterval && phase === 'run') live.push(chunk);
    });
    // stderr carries warnings and FATAL lines; keep them in the text the parser reads.
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => text.push(chunk));
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      settled = true;
      reject(err.code === 'ENOENT' ? new SysbenchMissingError(`sysbench is not installed (${opts.sysbench} not found): install the package 'sysbench'`) : err);
    });
    child.once('exit', (code, sig) => {
      exitCode = code;
      exitSignal = sig;
      // Its last lines may still be in the pipe; a child of it that keeps the pipe open is killed
      // (then 'close' ends the run; a child that left the group is not waited for).
      grace = setTimeout(kill, PIPE_GRACE_MS);
    });
    child.once('close', done);
  });
}

/** Free bytes for an unprivileged writer in `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

export async function runTest(test: TestName, spec: TestSpec, opts: RunOptions): Promise<TestRun> {
  const startedAt = Date.now();
  const phases: PhaseOutput[] = [];
  const errors: string[] = [];
  const prepared = TEST_TYPES[test].prepared;
  const cwd = prepared ? `${opts.workdir}/${test}` : opts.workdir;
  mkdirSync(cwd, { recursive: true });
  const finish = (): TestRun => {
    const run = phases.find((p) => p.phase === 'run');
    let invocation: Invocation | undefined;
    if (run) {
      const found = parseSysbenchOutput(run.output);
      invocation = found.find((i) => i.phase === 'run') ?? found[0];
      if (run.timedOut) errors.push(`sysbench ${test} timed out after ${spec.timeoutS} s and was killed`);
      else if (run.signal) errors.push(`sysbench ${test} was killed by ${run.signal}`);
      else if (run.exitCode !== 0) errors.push(`sysbench ${test} exited with status ${run.exitCode}`);
      if (!invocation) errors.push(`sysbench ${test} printed no statistics`);
      else if (!invocation.ok) errors.push(...(invocation.errors.length ? invocation.errors : [`sysbench ${test} printed no statistics`]));
      else {
        // A number no collector would store (negative, not finite) makes it a failed run, kept
        // with its reason — not a result the collector refuses and the agent sets aside.
        const bad = Object.entries(invocation.fields).find(([k, v]) => metricProblem(k, v) !== undefined);
        if (bad) {
          errors.push(`sysbench ${test} printed ${bad[0]} ${metricProblem(bad[0], bad[1])}`);
          invocation = { ...invocation, ok: false };
        }
        // A printing step outside what sysbench can print is not sent (the value stays, its step is inferred).
        const steps = Object.entries(invocation.resolution ?? {}).filter(([, step]) => stepProblem(step) === undefined);
        invocation = { ...invocation, resolution: Object.fromEntries(steps) };
      }
    }
    return { test, ok: errors.length === 0 && invocation?.ok === true, errors, ...(invocation ? { invocation } : {}), phases, startedAt, endedAt: Date.now() };
  };

  if (!prepared) {
    phases.push(await runPhase(opts, test, spec, 'run', cwd, opts.signal));
    return finish();
  }
  // Prepare, run, cleanup (fileio): refuse before writing anything when the data cannot fit.
  const need = preparedBytes(test, spec);
  const free = freeBytes(cwd);
  if (free < need * 1.05) {
    errors.push(
      `${test} needs ${(need / 2 ** 20).toFixed(0)} MiB in ${cwd} but only ${(free / 2 ** 20).toFixed(0)} MiB are free; nothing was written (use --workdir on a bigger disk or a smaller file-total-size)`,
    );
    return finish();
  }
  try {
    const prepare = await runPhase(opts, test, spec, 'prepare', cwd, opts.signal);
    phases.push(prepare);
    if (prepare.exitCode !== 0 || prepare.timedOut) {
      errors.push(
        `sysbench ${test} prepare failed (${prepare.timedOut ? 'timed out' : `status ${prepare.exitCode}`}): ${prepare.output.trim().split('\n').slice(-3).join(' | ')}`,
      );
      return finish();
    }
    phases.push(await runPhase(opts, test, spec, 'run', cwd, opts.signal));
    return finish();
  } finally {
    // Cleanup always runs, also after an error or an abort (SIGINT/SIGTERM), never aborted itself.
    phases.push(await runPhase({ ...opts, onInterval: undefined }, test, spec, 'cleanup', cwd, undefined));
  }
}
