// Test profiles: what each of the five tests runs with. `seed` is exactly the five commands
// of the experiment report (shared/seed/experiment-report.md) in sysbench 1.0 option names,
// with the report's `muxex` typo spelled right; `quick` runs the same tests short enough to
// finish in well under 30 s here. A file profile (YAML or JSON) is validated key by key.
import { z } from 'zod';
import { TESTS, type TestName } from './fields.js';
import { UsageError } from '../../lib/errors.js';
import { checkShape, readDataFile } from '../../lib/file-input.js';
import { parseSize } from '../../lib/units.js';

export interface TestSpec {
  threads: number;
  /** Run time in seconds; absent means sysbench's default (10 s; memory and mutex stop on their own). */
  time?: number;
  /** Test options in sysbench 1.0 names without the leading dashes, e.g. {"cpu-max-prime": "2000"}. */
  options: Record<string, string>;
  /** fileio only: threads for the prepare phase (the report prepares with 16, runs with 20). */
  prepareThreads?: number;
  /** Kill sysbench and report a failed run after this many seconds. */
  timeoutS: number;
}

export interface Profile {
  name: string;
  tests: Partial<Record<TestName, TestSpec>>;
}

const SEED: Profile = {
  name: 'seed',
  tests: {
    cpu: { threads: 1, options: { 'cpu-max-prime': '2000' }, timeoutS: 120 },
    threads: { threads: 500, options: { 'thread-yields': '100', 'thread-locks': '4' }, timeoutS: 180 },
    fileio: { threads: 20, prepareThreads: 16, options: { 'file-total-size': '2G', 'file-test-mode': 'rndrw' }, timeoutS: 900 },
    memory: { threads: 1, options: { 'memory-block-size': '8k', 'memory-total-size': '1G' }, timeoutS: 300 },
    mutex: { threads: 4, options: { 'mutex-num': '2000', 'mutex-locks': '10000', 'mutex-loops': '5000' }, timeoutS: 300 },
  },
};

const QUICK: Profile = {
  name: 'quick',
  tests: {
    cpu: { threads: 1, time: 2, options: { 'cpu-max-prime': '2000' }, timeoutS: 60 },
    threads: { threads: 500, time: 2, options: { 'thread-yields': '100', 'thread-locks': '4' }, timeoutS: 90 },
    fileio: { threads: 20, prepareThreads: 16, time: 2, options: { 'file-total-size': '128M', 'file-test-mode': 'rndrw' }, timeoutS: 240 },
    memory: { threads: 1, options: { 'memory-block-size': '8k', 'memory-total-size': '1G' }, timeoutS: 120 },
    mutex: { threads: 4, options: { 'mutex-num': '2000', 'mutex-locks': '10000', 'mutex-loops': '5000' }, timeoutS: 120 },
  },
};

export const BUILTIN_PROFILES: Record<string, Profile> = { seed: SEED, quick: QUICK };

const AGENT_SET = ['threads', 'num-threads', 'time', 'max-time', 'test', 'report-interval'];
const positive = z.number({ error: 'expected a positive number' }).positive('expected a positive number');

/** One test's settings in a profile file (snake_case keys, as in YAML). */
const TEST_SPEC = z.strictObject({
  threads: positive.default(1),
  time: positive.optional(),
  prepare_threads: positive.optional(),
  timeout_s: positive.default(600),
  options: z
    .record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'bad option name'), z.union([z.string(), z.number(), z.boolean()], { error: 'must be a scalar' }))
    .default({})
    .superRefine((options, ctx) => {
      for (const k of Object.keys(options)) {
        if (AGENT_SET.includes(k)) ctx.addIssue({ code: 'custom', path: [k], message: "is set by the agent; use the profile's own key instead" });
      }
    }),
});

const PROFILE_FILE = z.strictObject(
  {
    name: z.string().optional(),
    tests: z
      .strictObject(Object.fromEntries(TESTS.map((t) => [t, TEST_SPEC.optional()])) as Record<TestName, z.ZodOptional<typeof TEST_SPEC>>, {
        error: 'must map test names to settings',
      })
      .refine((tests) => Object.values(tests).some((t) => t !== undefined), 'is empty'),
  },
  { error: "expected a mapping with 'tests'" },
);

/** Validates a profile read from a file; every error names the file and the bad key. */
export function validateProfile(raw: unknown, source: string): Profile {
  const file = checkShape(PROFILE_FILE, raw, `profile ${source}`, {
    '': { noun: 'key', known: ['name', 'tests'] },
    tests: { noun: 'test', known: TESTS },
    ...Object.fromEntries(TESTS.map((t) => [`tests.${t}`, { noun: 'key', known: Object.keys(TEST_SPEC.shape) }])),
  });
  const out: Profile = { name: file.name || source.replace(/^.*\//, '').replace(/\.(ya?ml|json)$/, ''), tests: {} };
  for (const test of TESTS) {
    const spec = file.tests[test];
    if (!spec) continue;
    out.tests[test] = {
      threads: spec.threads,
      ...(spec.time !== undefined ? { time: spec.time } : {}),
      ...(spec.prepare_threads !== undefined ? { prepareThreads: spec.prepare_threads } : {}),
      options: Object.fromEntries(Object.entries(spec.options).map(([k, v]) => [k, String(v)])),
      timeoutS: spec.timeout_s,
    };
  }
  return out;
}

export function loadProfile(nameOrFile: string): Profile {
  const builtin = BUILTIN_PROFILES[nameOrFile];
  if (builtin) return builtin;
  if (!/\.(ya?ml|json)$/.test(nameOrFile))
    throw new UsageError(`unknown profile '${nameOrFile}' (built-in: ${Object.keys(BUILTIN_PROFILES).join(', ')}; or a .yaml/.json file)`);
  return validateProfile(readDataFile(nameOrFile, 'profile'), nameOrFile);
}

/** Bytes the fileio file set occupies (its --file-total-size; sysbench's default is 2G). */
export function fileioBytes(spec: TestSpec): number {
  return parseSize(spec.options['file-total-size'] ?? '2G', 'file-total-size');
}
