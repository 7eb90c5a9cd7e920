import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildArgs, parseVersionLine } from './dialect.js';
import { BUILTIN_PROFILES, loadProfile, preparedBytes } from './profiles.js';
import { TESTS } from './fields.js';
import { tempDir } from '../../test/support/temp-dir.js';

const V1 = parseVersionLine('sysbench 1.0.20 (using system LuaJIT 2.1.0-beta3)')!;
const V04 = parseVersionLine('sysbench 0.4.12:  multi-threaded system evaluation benchmark')!;
const V05 = parseVersionLine('sysbench 0.5:  multi-threaded system evaluation benchmark')!;

describe('sysbench versions', () => {
  it('reads the version line of each release family', () => {
    expect(V1).toEqual({ text: '1.0.20', major: 1, minor: 0 });
    expect(V04).toMatchObject({ text: '0.4.12', major: 0, minor: 4 });
    expect(V05).toMatchObject({ text: '0.5', major: 0, minor: 5 });
    expect(parseVersionLine('sysbench 1.1.0-df89d34 (using bundled LuaJIT 2.1.0-beta3)')).toMatchObject({ text: '1.1.0-df89d34', major: 1, minor: 1 });
    expect(parseVersionLine('command not found')).toBeNull();
  });
});

describe("seed profile = the report's five commands", () => {
  // shared/seed/experiment-report.md §2.1.2, in 1.0 option names, `muxex` spelled right.
  const seed = BUILTIN_PROFILES.seed!;
  it('cpu', () => expect(buildArgs(V1, 'cpu', seed.tests.cpu!, 'run', false)).toEqual(['cpu', '--threads=1', '--cpu-max-prime=2000', 'run']));
  it('threads', () =>
    expect(buildArgs(V1, 'threads', seed.tests.threads!, 'run', false)).toEqual([
      'threads',
      '--threads=500',
      '--thread-yields=100',
      '--thread-locks=4',
      'run',
    ]));
  it('fileio prepares with 16 threads, runs and cleans up with 20', () => {
    const spec = seed.tests.fileio!;
    expect(buildArgs(V1, 'fileio', spec, 'prepare', false)).toEqual(['fileio', '--threads=16', '--file-total-size=2G', '--file-test-mode=rndrw', 'prepare']);
    expect(buildArgs(V1, 'fileio', spec, 'run', false)).toEqual(['fileio', '--threads=20', '--file-total-size=2G', '--file-test-mode=rndrw', 'run']);
    expect(buildArgs(V1, 'fileio', spec, 'cleanup', false)).toEqual(['fileio', '--threads=20', '--file-total-size=2G', '--file-test-mode=rndrw', 'cleanup']);
    expect(preparedBytes('fileio', spec)).toBe(2 * 1024 ** 3);
  });
  it('memory', () =>
    expect(buildArgs(V1, 'memory', seed.tests.memory!, 'run', false)).toEqual([
      'memory',
      '--threads=1',
      '--memory-block-size=8k',
      '--memory-total-size=1G',
      'run',
    ]));
  it('mutex', () =>
    expect(buildArgs(V1, 'mutex', seed.tests.mutex!, 'run', false)).toEqual([
      'mutex',
      '--threads=4',
      '--mutex-num=2000',
      '--mutex-locks=10000',
      '--mutex-loops=5000',
      'run',
    ]));
  it('covers all five tests, and quick covers the same five', () => {
    expect(Object.keys(seed.tests).sort()).toEqual([...TESTS].sort());
    expect(Object.keys(BUILTIN_PROFILES.quick!.tests).sort()).toEqual([...TESTS].sort());
  });
});

describe('dialects', () => {
  const quickCpu = BUILTIN_PROFILES.quick!.tests.cpu!;
  it('1.0+: test first, --threads, --time, live intervals', () => {
    expect(buildArgs(V1, 'cpu', quickCpu, 'run', true)).toEqual(['cpu', '--threads=1', '--time=2', '--report-interval=1', '--cpu-max-prime=2000', 'run']);
  });
  it('0.4: --test=, --num-threads, --max-time with --max-requests=0, no --report-interval', () => {
    expect(buildArgs(V04, 'cpu', quickCpu, 'run', true)).toEqual([
      '--test=cpu',
      '--num-threads=1',
      '--max-time=2',
      '--max-requests=0',
      '--cpu-max-prime=2000',
      'run',
    ]);
  });
  it('0.5 has --report-interval', () => {
    expect(buildArgs(V05, 'cpu', quickCpu, 'run', true)).toContain('--report-interval=1');
  });
});

describe('profile files', () => {
  const dir = tempDir('vo-profile-');
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  it('loads a valid YAML profile', async () => {
    const p = await loadProfile(write('ok.yaml', 'name: mine\ntests:\n  cpu:\n    threads: 2\n    time: 5\n    options:\n      cpu-max-prime: 5000\n'));
    expect(p).toEqual({ name: 'mine', tests: { cpu: { threads: 2, time: 5, options: { 'cpu-max-prime': '5000' }, timeoutS: 600 } } });
  });
  it('names the bad key', async () => {
    await expect(loadProfile(write('a.yaml', 'tests:\n  cpu:\n    thread: 2\n'))).rejects.toThrow(/tests\.cpu\.thread/);
    await expect(loadProfile(write('b.yaml', 'tests:\n  muxex: {}\n'))).rejects.toThrow(/unknown test 'tests\.muxex'/);
    await expect(loadProfile(write('c.json', '{"tests": {"cpu": {"threads": -1}}}'))).rejects.toThrow(/tests\.cpu\.threads.*positive/);
    await expect(loadProfile(write('d.yaml', 'tests:\n  cpu:\n    options:\n      time: 5\n'))).rejects.toThrow(/tests\.cpu\.options\.time.*set by the agent/);
    await expect(loadProfile(write('e.yaml', 'test: {}\n'))).rejects.toThrow(/unknown key 'test'/);
    await expect(loadProfile(write('f.yaml', 'tests: [\n'))).rejects.toThrow(/not valid YAML/);
  });
  it('refuses an unknown built-in name', async () => {
    await expect(loadProfile('fast')).rejects.toThrow(/unknown profile 'fast'/);
  });
});
