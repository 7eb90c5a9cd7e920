// Progress of a long run on a terminal: which test, which trial, roughly how long is left.
// Silent when stderr is not a terminal (logs say the same in JSON).
import type { TestName } from './sysbench/fields.js';
import type { TestSpec } from './sysbench/profiles.js';

export interface Progress {
  startSuite(tests: { test: TestName; spec: TestSpec }[], trials: number): void;
  startTest(test: TestName, trial: number): void;
  endTest(test: TestName, trial: number, ok: boolean): void;
}

/** Seconds a test is expected to take when its profile does not bound it. */
const UNBOUNDED_GUESS_S: Record<TestName, number> = { cpu: 10, threads: 10, fileio: 30, memory: 2, mutex: 1 };

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { startSuite() {}, startTest() {}, endTest() {} };
  let plan: { test: TestName; seconds: number }[] = [];
  let trials = 1;
  let started = 0;
  let done = 0;
  let total = 0;
  return {
    startSuite(tests, n) {
      trials = n;
      plan = tests.map(({ test, spec }) => ({ test, seconds: spec.time ?? UNBOUNDED_GUESS_S[test] }));
      total = plan.length * trials;
      started = Date.now();
      done = 0;
    },
    startTest(test, trial) {
      const idx = plan.findIndex((p) => p.test === test);
      const left = plan.slice(idx).reduce((s, p, i) => s + p.seconds * (i === 0 ? trials - trial + 1 : trials), 0);
      const elapsed = Math.round((Date.now() - started) / 1000);
      stream.write(`\r\x1b[K[${done + 1}/${total}] ${test} trial ${trial}/${trials} — ${elapsed}s elapsed, about ${left}s left`);
    },
    endTest(test, trial, ok) {
      done++;
      stream.write(`\r\x1b[K[${done}/${total}] ${test} trial ${trial}: ${ok ? 'ok' : 'FAILED'}\n`);
    },
  };
}
