import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions, type OptionSpec } from './options.js';
import { parseDuration, parseSize } from './units.js';
import { UsageError } from './errors.js';

const SPECS: OptionSpec[] = [
  { name: 'collector', type: 'string', help: '' },
  { name: 'group', type: 'string', help: '', default: 'default' },
  { name: 'once', type: 'boolean', help: '', default: false },
  { name: 'tests', type: 'list', help: '', default: ['cpu'] },
  { name: 'declare', type: 'multi', help: '' },
];

describe('options: command line > environment > config file > default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vo-opt-'));
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, 'collector: file:1\ngroup: from-file\nonce: true\ntests: [cpu, memory]\n');

  it('takes the file when nothing else says', () => {
    const { values } = parseOptions(SPECS, ['--config', file], {});
    expect(values).toMatchObject({ collector: 'file:1', group: 'from-file', once: true, tests: ['cpu', 'memory'] });
  });
  it('the environment beats the file', () => {
    const { values } = parseOptions(SPECS, ['--config', file], { VIRT_OVERHEAD_GROUP: 'from-env', VIRT_OVERHEAD_TESTS: 'fileio,mutex', VIRT_OVERHEAD_ONCE: 'false' });
    expect(values).toMatchObject({ group: 'from-env', tests: ['fileio', 'mutex'], once: false });
  });
  it('the command line beats both', () => {
    const { values } = parseOptions(SPECS, ['--config', file, '--group', 'cli', '--tests', 'threads'], { VIRT_OVERHEAD_GROUP: 'from-env' });
    expect(values).toMatchObject({ group: 'cli', tests: ['threads'] });
  });
  it('defaults apply last', () => {
    expect(parseOptions(SPECS, [], {}).values).toMatchObject({ group: 'default', once: false, tests: ['cpu'] });
  });
  it('repeatable options collect every value', () => {
    expect(parseOptions(SPECS, ['--declare', 'a=1', '--declare', 'b=2'], {}).values.declare).toEqual(['a=1', 'b=2']);
  });
  it('unknown options are usage errors, on the command line and in the file', () => {
    expect(() => parseOptions(SPECS, ['--colector', 'x'], {})).toThrow(UsageError);
    writeFileSync(join(dir, 'bad.yaml'), 'colector: x\n');
    expect(() => parseOptions(SPECS, ['--config', join(dir, 'bad.yaml')], {})).toThrow(/unknown option 'colector'/);
    expect(() => parseOptions(SPECS, ['--config', join(dir, 'missing.yaml')], {})).toThrow(/cannot read config file/);
    expect(() => parseOptions(SPECS, [], { VIRT_OVERHEAD_ONCE: 'maybe' })).toThrow(/true or false/);
  });
});

describe('durations and sizes', () => {
  it('reads the units operators write', () => {
    expect(parseDuration('6h', 'x')).toBe(6 * 3600 * 1000);
    expect(parseDuration('10m', 'x')).toBe(600_000);
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration('30', 'x')).toBe(30_000);
    expect(parseSize('256MiB', 'x')).toBe(256 * 1024 * 1024);
    expect(parseSize('2G', 'x')).toBe(2 * 1024 ** 3);
    expect(parseSize('512k', 'x')).toBe(512 * 1024);
    expect(() => parseDuration('soon', 'interval')).toThrow(/--interval/);
    expect(() => parseSize('lots', 'spool-max')).toThrow(/--spool-max/);
  });
});
