// Test profiles: what each test runs with. The built-in ones are read from each test type's entry
// (schema/test-types.ts): `seed` is exactly the five commands of the experiment report
// (shared/seed/experiment-report.md) in sysbench 1.0 option names, with the report's `muxex` typo
// spelled right; `quick` runs the same tests short enough to finish in well under 30 s here. A
// file profile (YAML or JSON) is validated key by key.
import { z } from 'zod';
import { TESTS, type TestName } from './fields.js';
import { UsageError } from '../../lib/errors.js';
import { checkShape, readDataFile } from '../../lib/file-input.js';
import { BUILTIN_PROFILE_NAMES, TEST_TYPES, type TestSpec } from '../../schema/test-types.js';

export type { TestSpec } from '../../schema/test-types.js';

export interface Profile {
  name: string;
  tests: Partial<Record<TestName, TestSpec>>;
}

export const BUILTIN_PROFILES: Record<string, Profile> = Object.fromEntries(
  BUILTIN_PROFILE_NAMES.map((name) => [name, { name, tests: Object.fromEntries(TESTS.map((t) => [t, TEST_TYPES[t].profiles[name]])) }]),
);

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

export async function loadProfile(nameOrFile: string): Promise<Profile> {
  const builtin = BUILTIN_PROFILES[nameOrFile];
  if (builtin) return builtin;
  if (!/\.(ya?ml|json)$/.test(nameOrFile))
    throw new UsageError(`unknown profile '${nameOrFile}' (built-in: ${Object.keys(BUILTIN_PROFILES).join(', ')}; or a .yaml/.json file)`);
  return validateProfile(await readDataFile(nameOrFile, 'profile'), nameOrFile);
}

/** Bytes a test's prepare phase writes (fileio: its --file-total-size); 0 for a test without one. */
export function preparedBytes(test: TestName, spec: TestSpec): number {
  return TEST_TYPES[test].preparedBytes?.(spec) ?? 0;
}
