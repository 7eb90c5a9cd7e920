// Progress of a long run on a terminal: which test, which trial, roughly how long is left.
// Silent when stderr is not a terminal (logs say the same in JSON). On a terminal it is the
// status line (lib/terminal.ts) that log lines are written above, never into. Trials the RSD rule adds
// are counted as they start: the total grows, it is never overtaken ([5/4]), and the time
// left never goes below zero.
import type { TestName } from './sysbench/fields.js';
import type { TestSpec } from './sysbench/profiles.js';
import { StatusLine, stderrStatus } from '../lib/terminal.js';
import { TEST_TYPES } from '../schema/test-types.js';

export interface Progress {
  startSuite(tests: { test: TestName; spec: TestSpec }[], trials: number): void;
  startTest(test: TestName, trial: number): void;
  /** fields: the parsed result of a run that worked (for summaries). */
  endTest(test: TestName, trial: number, ok: boolean, fields?: Readonly<Record<string, number>>): void;
}

/** Counts of a suite as it runs: planned trials plus the ones added so far. */
export class ProgressCount {
  private plan: { test: TestName; seconds: number }[] = [];
  private trials = 1;
  private added = 0;
  done = 0;

  start(tests: { test: TestName; spec: TestSpec }[], trials: number): void {
    this.trials = trials;
    this.plan = tests.map(({ test, spec }) => ({ test, seconds: spec.time ?? TEST_TYPES[test].expectedS }));
    this.added = 0;
    this.done = 0;
  }

  /** Call when a trial starts; a trial beyond the planned N counts as an added one. */
  begin(trial: number): void {
    if (trial > this.trials) this.added++;
  }

  get total(): number {
    return this.plan.length * this.trials + this.added;
  }

  /** Planned trials of this test (N, or the added trial's number). */
  trialsOf(trial: number): number {
    return Math.max(this.trials, trial);
  }

  /** Seconds left from the start of `trial` of `test`: this trial, the rest planned for it, later tests. */
  secondsLeft(test: TestName, trial: number): number {
    const idx = Math.max(
      0,
      this.plan.findIndex((p) => p.test === test),
    );
    return this.plan.slice(idx).reduce((s, p, i) => s + p.seconds * (i === 0 ? Math.max(1, this.trials - trial + 1) : this.trials), 0);
  }
}

/** `stream` and `line`: a test's own terminal; by default stderr and its shared status line. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, line?: StatusLine): Progress {
  if (!stream.isTTY) return { startSuite() {}, startTest() {}, endTest() {} };
  const status = line ?? (stream === process.stderr ? stderrStatus() : new StatusLine(stream));
  const count = new ProgressCount();
  let started = 0;
  return {
    startSuite(tests, n) {
      count.start(tests, n);
      started = Date.now();
    },
    startTest(test, trial) {
      count.begin(trial);
      const elapsed = Math.round((Date.now() - started) / 1000);
      const extra = trial > count.trialsOf(1) ? ' (added: trials disagree)' : '';
      status.show(
        `[${count.done + 1}/${count.total}] ${test} trial ${trial}/${count.trialsOf(trial)}${extra} — ${elapsed}s elapsed, about ${count.secondsLeft(test, trial)}s left`,
      );
    },
    endTest(test, trial, ok) {
      count.done++;
      status.finish(`[${count.done}/${count.total}] ${test} trial ${trial}: ${ok ? 'ok' : 'FAILED'}`);
    },
  };
}

/** Sends every call to each of `parts` (the terminal line and the end-of-run summary). */
export function allProgress(...parts: Progress[]): Progress {
  return {
    startSuite: (tests, n) => parts.forEach((p) => p.startSuite(tests, n)),
    startTest: (test, trial) => parts.forEach((p) => p.startTest(test, trial)),
    endTest: (test, trial, ok, fields) => parts.forEach((p) => p.endTest(test, trial, ok, fields)),
  };
}
