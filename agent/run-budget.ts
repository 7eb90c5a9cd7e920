// The most one suite run may take: what a supervisor (the timer unit's TimeoutStartSec) allows
// before it calls the run hung. Every selected test at its timeout (a prepared test such as
// fileio: prepare, run and cleanup each), every trial the trial rule may add (lib/compare/trials.ts: up to 2N), the
// --once flush, and a margin for start-up (detection, the first connection).
import { trialPlan } from '../lib/compare/trials.js';
import type { Profile } from './sysbench/profiles.js';
import type { TestName } from './sysbench/fields.js';
import { TEST_TYPES } from '../schema/test-types.js';

/** Start-up and shut-down around the tests: detection, sysbench --version, the last heartbeat. */
const MARGIN_S = 300;

export function runBudgetSeconds(profile: Profile, tests: readonly TestName[], trials: number, flushTimeoutMs: number): number {
  const { maxTrials } = trialPlan(trials);
  let seconds = MARGIN_S + Math.ceil(flushTimeoutMs / 1000);
  for (const test of tests) {
    const spec = profile.tests[test];
    if (spec) seconds += maxTrials * spec.timeoutS * (TEST_TYPES[test].prepared ? 3 : 1);
  }
  return seconds;
}
