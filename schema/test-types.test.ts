// A new sysbench test type is one entry in schema/test-types.ts (plus its parser lines, when the
// ones already there do not read its numbers). This adds a made-up entry, `fake`, to the table
// through vi.doMock (the one place a test needs the table to hold something it does not ship)
// and checks that it reaches every consumer without another edit: the agent's --tests option and
// its --help, the built-in profiles and a profile file, the parser, the headline metrics and
// margins, the run budget, the time-left guess, the wire bounds, the lab's scratch disk and the
// report's sections.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestType } from './test-types.js';

const FAKE: TestType = {
  markers: /^Doing fake benchmark/,
  prepared: true,
  preparedBytes: (spec) => Number(spec.options['fake-size'] ?? '0') * 2 ** 20,
  expectedS: 7,
  profiles: {
    seed: { threads: 3, options: { 'fake-size': '50' }, timeoutS: 50 },
    quick: { threads: 2, time: 1, options: { 'fake-size': '5' }, timeoutS: 40 },
  },
  headline: ['operations_per_sec', 'latency_avg_ms'],
  margins: { operations_per_sec: 4 },
};

// Everything below is imported after the mock, each module afresh.
let m: {
  testTypes: typeof import('./test-types.js');
  metrics: typeof import('./metrics.js');
  bounds: typeof import('./bounds.js');
  margin: typeof import('../lib/compare/margin.js');
  trials: typeof import('../lib/compare/trials.js');
  options: typeof import('../lib/options.js');
  agentOptions: typeof import('../agent/config/options.js');
  profiles: typeof import('../agent/sysbench/profiles.js');
  parser: typeof import('../agent/sysbench/parser/index.js');
  budget: typeof import('../agent/run-budget.js');
  progress: typeof import('../agent/progress.js');
  plan: typeof import('../lab/plan.js');
  report: typeof import('../collector/report/build.js');
};

beforeAll(async () => {
  vi.resetModules();
  vi.doMock('./test-types.js', async (importOriginal) => {
    const real = await importOriginal<typeof import('./test-types.js')>();
    // What the module derives from its table, derived again from the table with `fake` in it
    // (that the real module derives them so is checked below, without the mock).
    const TEST_TYPES = { ...real.TEST_TYPES, fake: FAKE };
    const TESTS = Object.keys(TEST_TYPES);
    return { ...real, TEST_TYPES, TESTS, isTestName: (v: unknown) => typeof v === 'string' && TESTS.includes(v) };
  });
  m = {
    testTypes: await import('./test-types.js'),
    metrics: await import('./metrics.js'),
    bounds: await import('./bounds.js'),
    margin: await import('../lib/compare/margin.js'),
    trials: await import('../lib/compare/trials.js'),
    options: await import('../lib/options.js'),
    agentOptions: await import('../agent/config/options.js'),
    profiles: await import('../agent/sysbench/profiles.js'),
    parser: await import('../agent/sysbench/parser/index.js'),
    budget: await import('../agent/run-budget.js'),
    progress: await import('../agent/progress.js'),
    plan: await import('../lab/plan.js'),
    report: await import('../collector/report/build.js'),
  };
});

// The real table's names, for the checks that `fake` comes on top of them.
const REAL = ['cpu', 'threads', 'fileio', 'memory', 'mutex'];
const fake = 'fake' as never;

describe('schema/test-types.ts (as shipped)', () => {
  it('derives the test names from the table alone, in its order', async () => {
    const real = await vi.importActual<typeof import('./test-types.js')>('./test-types.js');
    expect(real.TESTS).toEqual(Object.keys(real.TEST_TYPES));
    expect(real.TESTS).toEqual(REAL);
    expect(REAL.filter((t) => real.isTestName(t))).toEqual(REAL);
    expect([undefined, 'fake', 'CPU', 'toString'].filter((t) => real.isTestName(t))).toEqual([]);
  });
});

describe('a test type added to schema/test-types.ts alone', () => {
  it('is a test name, last in suite order', () => {
    expect(m.testTypes.TESTS).toEqual([...REAL, 'fake']);
    expect(m.testTypes.isTestName('fake')).toBe(true);
  });

  it("is one of the agent's --tests, by default too, and listed by --help", async () => {
    const spec = { name: 'agent', usage: 'usage: virt-overhead agent', options: m.agentOptions.AGENT_OPTIONS, exitCodes: [] };
    const tests = async (argv: string[]) => m.agentOptions.resolveAgentConfig((await m.options.parseOptions(spec, ['--dry-run', ...argv], {})).values).tests;
    expect(await tests(['--tests', 'cpu,fake'])).toEqual(['cpu', 'fake']);
    expect(await tests([])).toEqual([...REAL, 'fake']);
    expect(m.options.formatHelp(spec)).toMatch(/--tests .*\(default: cpu,threads,fileio,memory,mutex,fake\)/);
  });

  it('has its entries in the built-in profiles, and a profile file may name it', () => {
    expect(m.profiles.BUILTIN_PROFILES.seed!.tests).toMatchObject({ fake: FAKE.profiles.seed });
    expect(m.profiles.BUILTIN_PROFILES.quick!.tests).toMatchObject({ fake: FAKE.profiles.quick });
    const file = m.profiles.validateProfile({ tests: { fake: { threads: 8, options: { 'fake-size': 1 } } } }, 'mine.yaml');
    expect(file.tests).toEqual({ fake: { threads: 8, options: { 'fake-size': '1' }, timeoutS: 600 } });
  });

  it('is named by the parser from its marker line', () => {
    const text = ['sysbench 1.0.20 (using system LuaJIT 2.1.0-beta3)', 'Doing fake benchmark', 'Total operations: 500 (  100.00 per second)', ''].join('\n');
    const [inv] = m.parser.parseSysbenchOutput(text);
    expect(inv).toMatchObject({ test: 'fake', sysbench_version: '1.0.20' });
    // Without the marker the same lines read as memory (whose marker `Total operations:` is).
    expect(m.parser.parseSysbenchOutput(text.replace('Doing fake benchmark\n', ''))[0]!.test).toBe('memory');
  });

  it('has its headline metrics and margins', () => {
    expect(m.metrics.KEY_METRICS[fake]).toEqual(['operations_per_sec', 'latency_avg_ms']);
    expect(m.metrics.primaryMetric(fake, { latency_avg_ms: 2, events_per_sec: 9 })).toBe('latency_avg_ms');
    expect(m.margin.defaultMargin('fake', 'operations_per_sec')).toBe(4);
    expect(m.margin.defaultMargin('fake', 'latency_avg_ms')).toBe(m.margin.FALLBACK_MARGIN_PCT);
    // `fake=2` is a test's margin, as `cpu=2` is (a group would be `fake:*=2`).
    expect(m.margin.parseMarginSpec('fake=2').tests).toEqual({ fake: 2 });
  });

  it('counts three phases per trial in the run budget (prepared), and its expected time in the progress line', () => {
    const profile = { name: 'p', tests: { fake: { threads: 1, options: {}, timeoutS: 40 } } } as never;
    const maxTrials = m.trials.trialPlan(2).maxTrials;
    expect(m.budget.runBudgetSeconds(profile, [fake], 2, 5000)).toBe(300 + 5 + maxTrials * 40 * 3);
    const count = new m.progress.ProgressCount();
    count.start([{ test: fake, spec: { threads: 1, options: {}, timeoutS: 40 } }], 2);
    expect(count.secondsLeft(fake, 1)).toBe(2 * 7);
  });

  it('is a test the collector accepts on the wire, and the lab sizes its scratch disk for its data', () => {
    expect(m.bounds.WIRE_BOUNDS.Result.test).toMatchObject({ kind: 'enum', values: expect.arrayContaining(['fake']) });
    expect(m.bounds.WIRE_BOUNDS.IntervalSample.test).toMatchObject({ kind: 'enum', values: expect.arrayContaining(['fake']) });
    // 50 MiB (seed) + 10 % for ext4, rounded up, + 128 MiB for the spool; fileio's 2 GiB is not in this profile.
    expect(m.plan.scratchDiskMiB({ name: 'p', tests: { fake: FAKE.profiles.seed } } as never)).toBe(Math.ceil(50 * 1.1) + 128);
  });

  it("gets a report section with its headline metrics, after the real tests' sections", () => {
    const row = (role: string, test: string, i: number, values: Record<string, number>) => ({
      timeNs: BigInt(i) * 1_000_000_000n,
      tags: { agent: role, host: role, group: 'g', role, virt: role === 'guest' ? 'kvm' : 'none', variant: 'default', test, profile: 'seed' },
      runId: `${role}-${test}`,
      threads: 1,
      ok: true,
      parent: null,
      noise: {},
      disturbed: null,
      values,
      resolution: {},
    });
    const rows = [
      ...[1, 2, 3].map((i) => row('baseline', 'fake', i, { operations_per_sec: 100 + i, latency_avg_ms: 1 + i / 10, events_per_sec: 5 })),
      ...[4, 5, 6].map((i) => row('guest', 'fake', i, { operations_per_sec: 90 + i, latency_avg_ms: 1.2 + i / 10, events_per_sec: 5 })),
      ...[7, 8].map((i) => row('baseline', 'mutex', i, { total_time_s: 1 + i / 100 })),
    ];
    const sections = m.report.buildSections(rows as never);
    expect(sections.map((s) => s.test)).toEqual(['mutex', 'fake']);
    expect(sections[1]!.metrics.map((x) => x.metric)).toEqual(['operations_per_sec', 'latency_avg_ms']);
    const guest = sections[1]!.metrics[0]!.results.find((r) => r.system.role === 'guest')!;
    expect(guest.vsReference!.margin).toMatchObject({ marginPct: 4, source: 'default' });
  });
});
