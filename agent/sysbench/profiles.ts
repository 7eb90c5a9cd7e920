// Test profiles: what each of the five tests runs with. `seed` is exactly the five commands
// of the experiment report (shared/seed/experiment-report.md) in sysbench 1.0 option names,
// with the report's `muxex` typo spelled right; `quick` runs the same tests short enough to
// finish in well under 30 s here. A file profile (YAML or JSON) is validated key by key.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { TESTS, isTestName, type TestName } from './fields.js';
import { UsageError } from '../../lib/errors.js';
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

const SPEC_KEYS = new Set(['threads', 'time', 'options', 'prepare_threads', 'timeout_s']);

function positiveNumber(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new UsageError(`${where}: expected a positive number, got ${JSON.stringify(value)}`);
  return value;
}

/** Validates a profile read from a file; every error names the file and the bad key. */
export function validateProfile(raw: unknown, source: string): Profile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`profile ${source}: expected a mapping with 'tests'`);
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (key !== 'name' && key !== 'tests') throw new UsageError(`profile ${source}: unknown key '${key}' (known: name, tests)`);
  const tests = obj.tests;
  if (typeof tests !== 'object' || tests === null || Array.isArray(tests)) throw new UsageError(`profile ${source}: 'tests' must map test names to settings`);
  const out: Profile = { name: typeof obj.name === 'string' && obj.name ? obj.name : source.replace(/^.*\//, '').replace(/\.(ya?ml|json)$/, ''), tests: {} };
  for (const [test, specRaw] of Object.entries(tests as Record<string, unknown>)) {
    if (!isTestName(test)) throw new UsageError(`profile ${source}: unknown test 'tests.${test}' (known: ${TESTS.join(', ')})`);
    if (typeof specRaw !== 'object' || specRaw === null) throw new UsageError(`profile ${source}: 'tests.${test}' must be a mapping`);
    const spec = specRaw as Record<string, unknown>;
    for (const key of Object.keys(spec)) if (!SPEC_KEYS.has(key)) throw new UsageError(`profile ${source}: unknown key 'tests.${test}.${key}' (known: ${[...SPEC_KEYS].join(', ')})`);
    const options: Record<string, string> = {};
    if (spec.options !== undefined) {
      if (typeof spec.options !== 'object' || spec.options === null) throw new UsageError(`profile ${source}: 'tests.${test}.options' must be a mapping`);
      for (const [k, v] of Object.entries(spec.options as Record<string, unknown>)) {
        if (!/^[a-z][a-z0-9-]*$/.test(k)) throw new UsageError(`profile ${source}: bad option name 'tests.${test}.options.${k}'`);
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new UsageError(`profile ${source}: 'tests.${test}.options.${k}' must be a scalar`);
        if (['threads', 'num-threads', 'time', 'max-time', 'test', 'report-interval'].includes(k)) throw new UsageError(`profile ${source}: 'tests.${test}.options.${k}' is set by the agent; use the profile's own key instead`);
        options[k] = String(v);
      }
    }
    out.tests[test] = {
      threads: spec.threads === undefined ? 1 : positiveNumber(spec.threads, `profile ${source}: 'tests.${test}.threads'`),
      ...(spec.time !== undefined ? { time: positiveNumber(spec.time, `profile ${source}: 'tests.${test}.time'`) } : {}),
      ...(spec.prepare_threads !== undefined ? { prepareThreads: positiveNumber(spec.prepare_threads, `profile ${source}: 'tests.${test}.prepare_threads'`) } : {}),
      options,
      timeoutS: spec.timeout_s === undefined ? 600 : positiveNumber(spec.timeout_s, `profile ${source}: 'tests.${test}.timeout_s'`),
    };
  }
  if (Object.keys(out.tests).length === 0) throw new UsageError(`profile ${source}: 'tests' is empty`);
  return out;
}

export function loadProfile(nameOrFile: string): Profile {
  const builtin = BUILTIN_PROFILES[nameOrFile];
  if (builtin) return builtin;
  if (!/\.(ya?ml|json)$/.test(nameOrFile)) throw new UsageError(`unknown profile '${nameOrFile}' (built-in: ${Object.keys(BUILTIN_PROFILES).join(', ')}; or a .yaml/.json file)`);
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read profile ${nameOrFile}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = nameOrFile.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`profile ${nameOrFile} is not valid ${nameOrFile.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  return validateProfile(raw, nameOrFile);
}

/** Bytes the fileio file set occupies (its --file-total-size; sysbench's default is 2G). */
export function fileioBytes(spec: TestSpec): number {
  return parseSize(spec.options['file-total-size'] ?? '2G', 'file-total-size');
}
