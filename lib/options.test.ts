import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { duration, formatHelp, int, parseOptions, size, type CommandSpec, type OptionSpec } from './options.js';
import { parseDuration, parseSize } from './units.js';
import { UsageError } from './errors.js';
import { tempDir } from '../test/support/temp-dir.js';

const cmd = (options: OptionSpec[], name = 'agent'): CommandSpec => ({ name, usage: `usage: ${name}`, options, exitCodes: [{ code: 0, meaning: 'done' }] });
const SPECS = cmd([
  { name: 'collector', type: 'string', help: '' },
  { name: 'group', type: 'string', help: '', default: 'default' },
  { name: 'once', type: 'boolean', help: '', default: false },
  { name: 'tests', type: 'list', help: '', default: ['cpu'] },
  { name: 'declare', type: 'multi', help: '' },
]);

describe('options: command line > environment > config file > default', () => {
  const dir = tempDir('vo-opt-');
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, 'collector: file:1\ngroup: from-file\nonce: true\ntests: [cpu, memory]\n');

  it('takes the file when nothing else says', async () => {
    const { values } = await parseOptions(SPECS, ['--config', file], {});
    expect(values).toMatchObject({ collector: 'file:1', group: 'from-file', once: true, tests: ['cpu', 'memory'] });
  });
  it('the environment beats the file', async () => {
    const { values } = await parseOptions(SPECS, ['--config', file], {
      VIRT_OVERHEAD_AGENT_GROUP: 'from-env',
      VIRT_OVERHEAD_AGENT_TESTS: 'fileio,mutex',
      VIRT_OVERHEAD_AGENT_ONCE: 'false',
    });
    expect(values).toMatchObject({ group: 'from-env', tests: ['fileio', 'mutex'], once: false });
  });
  it('the command line beats both', async () => {
    const { values } = await parseOptions(SPECS, ['--config', file, '--group', 'cli', '--tests', 'threads'], { VIRT_OVERHEAD_AGENT_GROUP: 'from-env' });
    expect(values).toMatchObject({ group: 'cli', tests: ['threads'] });
  });
  it('defaults apply last', async () => {
    expect((await parseOptions(SPECS, [], {})).values).toMatchObject({ group: 'default', once: false, tests: ['cpu'] });
  });
  it('repeatable options collect every value', async () => {
    expect((await parseOptions(SPECS, ['--declare', 'a=1', '--declare', 'b=2'], {})).values.declare).toEqual(['a=1', 'b=2']);
  });
  it('unknown options are usage errors, on the command line and in the file', async () => {
    await expect(parseOptions(SPECS, ['--colector', 'x'], {})).rejects.toThrow(UsageError);
    await expect(parseOptions(SPECS, ['--colector', 'x'], {})).rejects.toThrow(/^agent does not take --colector \(did you mean --collector\?\)/);
    await expect(parseOptions(SPECS, ['--since', '2w'], {})).rejects.toThrow(/^agent does not take --since; 'virt-overhead agent --help' lists its options$/);
    writeFileSync(join(dir, 'bad.yaml'), 'colector: x\n');
    await expect(parseOptions(SPECS, ['--config', join(dir, 'bad.yaml')], {})).rejects.toThrow(/unknown option 'colector'/);
    await expect(parseOptions(SPECS, ['--config', join(dir, 'missing.yaml')], {})).rejects.toThrow(/cannot read config file/);
    await expect(parseOptions(SPECS, [], { VIRT_OVERHEAD_AGENT_ONCE: 'maybe' })).rejects.toThrow(/VIRT_OVERHEAD_AGENT_ONCE: option 'once' takes true or false/);
  });
});

describe('environment: each variable names its command', () => {
  const REPORT = cmd([{ name: 'group', type: 'string', help: '' }], 'report');
  it("one command's variable does not reach another", async () => {
    expect((await parseOptions(REPORT, [], { VIRT_OVERHEAD_AGENT_GROUP: 'lab' })).values.group).toBeUndefined();
    expect((await parseOptions(REPORT, [], { VIRT_OVERHEAD_REPORT_GROUP: 'lab' })).values.group).toBe('lab');
    expect((await parseOptions(SPECS, [], { VIRT_OVERHEAD_AGENT_GROUP: 'lab' })).values.group).toBe('lab');
  });
  it('a variable without its command is refused, naming the one to use, rather than applied to every command', async () => {
    await expect(parseOptions(REPORT, [], { VIRT_OVERHEAD_GROUP: 'lab' })).rejects.toThrow(/^VIRT_OVERHEAD_GROUP is set, .* use VIRT_OVERHEAD_REPORT_GROUP$/);
    // Variables of options this command does not have are none of its business.
    expect((await parseOptions(REPORT, [], { VIRT_OVERHEAD_TOKEN_FILE: 'x', VIRT_OVERHEAD_SLOW: '1' })).values.group).toBeUndefined();
  });
  it('--help names the variables of its own command', async () => {
    expect(formatHelp(REPORT)).toContain('VIRT_OVERHEAD_REPORT_<NAME>');
    expect(formatHelp(REPORT)).toContain('VIRT_OVERHEAD_REPORT_GROUP');
  });
});

describe('options that would be ignored together are refused', () => {
  const AGENT = cmd([
    { name: 'once', type: 'boolean', help: '', default: false },
    { name: 'interval', type: 'duration', help: '', default: '6h', conflicts: ['once'] },
  ]);
  const dir = tempDir('vo-conflict-');
  it('from the command line or the environment, naming both', async () => {
    await expect(parseOptions(AGENT, ['--once', '--interval', '1h'], {})).rejects.toThrow(
      /^--interval and --once do not go together: with --once, --interval would be ignored$/,
    );
    await expect(parseOptions(AGENT, ['--once'], { VIRT_OVERHEAD_AGENT_INTERVAL: '1h' })).rejects.toThrow(
      /^VIRT_OVERHEAD_AGENT_INTERVAL and --once do not go together/,
    );
    const both = join(dir, 'both.yaml');
    writeFileSync(both, 'once: true\ninterval: 1h\n');
    await expect(parseOptions(AGENT, ['--config', both], {})).rejects.toThrow(/^interval in the config file and once in the config file do not go together/);
  });
  it('an option that needs another is refused without it, from any source', async () => {
    const LAB = cmd(
      [
        { name: 'collector', type: 'address', help: '' },
        { name: 'influx', type: 'string', help: '', needs: 'collector' },
      ],
      'lab',
    );
    await expect(parseOptions(LAB, ['--influx', 'http://127.0.0.1:8086'], {})).rejects.toThrow(
      /^--influx needs --collector: without it, --influx would be ignored$/,
    );
    await expect(parseOptions(LAB, [], { VIRT_OVERHEAD_LAB_INFLUX: 'http://x' })).rejects.toThrow(/^VIRT_OVERHEAD_LAB_INFLUX needs --collector/);
    expect((await parseOptions(LAB, ['--influx', 'http://x', '--collector', '127.0.0.1:1'], {})).values.influx).toBe('http://x');
  });

  it('a default, or a config-file value the command line overrides, is no conflict', async () => {
    expect((await parseOptions(AGENT, ['--once'], {})).values).toMatchObject({ once: true, interval: '6h' });
    const file = join(dir, 'service.yaml');
    writeFileSync(file, 'interval: 12h\n');
    expect((await parseOptions(AGENT, ['--config', file, '--once'], {})).sources).toMatchObject({ once: 'command line', interval: 'config file' });
  });
});

describe('durations and sizes', () => {
  it('reads the units operators write', async () => {
    expect(parseDuration('6h', 'x')).toBe(6 * 3600 * 1000);
    expect(parseDuration('10m', 'x')).toBe(600_000);
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration('2w', 'x')).toBe(14 * 86_400_000);
    expect(parseDuration('1.5h', 'x')).toBe(5_400_000);
    expect(parseDuration('0', 'x')).toBe(0);
    expect(parseSize('256MiB', 'x')).toBe(256 * 1024 * 1024);
    expect(parseSize('2G', 'x')).toBe(2 * 1024 ** 3);
    expect(parseSize('512k', 'x')).toBe(512 * 1024);
    expect(() => parseDuration('soon', 'interval')).toThrow(/--interval/);
    // A bare number was seconds to the parser and hours to whoever wrote `--interval 6`.
    expect(() => parseDuration('6', 'interval')).toThrow(/^--interval 6: 6 what\? e\.g\. 6h, 6m or 6s/);
    expect(() => parseDuration('6', 'interval')).toThrow(UsageError);
    expect(() => parseSize('lots', 'spool-max')).toThrow(/--spool-max/);
  });
});

describe('typed options: declared once, checked whatever the source', () => {
  const TYPED = cmd([
    { name: 'trials', type: 'int', min: 1, max: 100, help: '', default: '3' },
    { name: 'wait', type: 'duration', min: '1s', help: '', default: '30s' },
    { name: 'memory', type: 'size', min: '512MiB', help: '', default: '2GiB' },
    { name: 'role', type: 'enum', values: ['baseline', 'guest'], help: '', default: 'guest' },
    { name: 'tests', type: 'list', values: ['cpu', 'mutex'], noun: 'test', min: 1, help: '', default: ['cpu'] },
    { name: 'token-file', type: 'path', help: '' },
    { name: 'listen', type: 'address', help: '' },
    { name: 'root', type: 'path', exists: 'dir', help: '' },
  ]);
  const dir = tempDir('vo-typed-');

  it('accepts good values from every source and keeps them as written', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'trials: 7\nmemory: 1GiB\n');
    const { values } = await parseOptions(TYPED, ['--config', file, '--wait', '2m'], { VIRT_OVERHEAD_AGENT_ROLE: 'baseline' });
    expect(values).toMatchObject({ trials: '7', wait: '2m', memory: '1GiB', role: 'baseline', tests: ['cpu'] });
    expect((await parseOptions(TYPED, ['--listen', '[::1]:0', '--root', dir], {})).values).toMatchObject({ listen: '[::1]:0', root: dir });
    expect([int(values, 'trials'), duration(values, 'wait'), size(values, 'memory')]).toEqual([7, 120_000, 1024 ** 3]);
  });
  it.each([
    [['--trials', '0'], {}, /--trials: expected a positive whole number up to 100, not '0'/],
    [['--trials', '2.5'], {}, /--trials: expected a positive whole number up to 100/],
    [[], { VIRT_OVERHEAD_AGENT_TRIALS: '101' }, /--trials: expected a positive whole number up to 100, not '101'/],
    [['--wait', '500ms'], {}, /--wait 500ms: expected at least 1s/],
    [['--wait', 'soon'], {}, /--wait: cannot read duration 'soon'/],
    [['--memory', '100MiB'], {}, /--memory 100MiB: expected at least 512MiB/],
    [['--role', 'host'], {}, /--role: expected one of baseline, guest, not 'host'/],
    [['--tests', 'cpu,muxex'], {}, /unknown test 'muxex' \(known: cpu, mutex\)/],
    [['--tests', ','], {}, /--tests is empty/],
    [[], { VIRT_OVERHEAD_AGENT_TOKEN_FILE: '' }, /--token-file: expected a file name/],
    [['--wait', '6'], {}, /--wait 6: 6 what\?/],
    [['--listen', '127.0.0.1:notaport'], {}, /^--listen 127\.0\.0\.1:notaport: 'notaport' is not a port \(a number from 0 to 65535\)$/],
    [['--listen', '127.0.0.1:65536'], {}, /'65536' is not a port/],
    [['--listen', 'localhost'], {}, /'localhost' is not HOST:PORT/],
    [['--root', '/nonexistent'], {}, /^--root \/nonexistent: no such directory$/],
    [['--root', '/etc/hostname'], {}, /^--root \/etc\/hostname: not a directory$/],
  ])('%j %j is refused', async (argv, env, message) => {
    await expect(parseOptions(TYPED, argv, env)).rejects.toThrow(UsageError);
    await expect(parseOptions(TYPED, argv, env)).rejects.toThrow(message);
  });
  it('a bad value in the config file is refused like one on the command line', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'trials: many\n');
    await expect(parseOptions(TYPED, ['--config', file], {})).rejects.toThrow(/--trials: expected a positive whole number up to 100, not 'many'/);
  });
  it('--help shows what each option takes', async () => {
    const help = formatHelp(TYPED);
    expect(help).toMatch(/--trials N +\(default: 3\)/);
    expect(help).toMatch(/--listen HOST:PORT/);
    // It ends with the exit codes.
    expect(help.trimEnd().split('\n').slice(-2)).toEqual(['Exit status:', '  0   done']);
    expect(help).toMatch(/--role baseline\|guest/);
    expect(help).toMatch(/--token-file PATH/);
  });
});

describe('config file shape', () => {
  const dir = tempDir('vo-cfg-');
  it.each([
    ['list.yaml', '- a\n- b\n', /config file .*list\.yaml: expected a mapping of option names to values/],
    ['scalar.json', '3', /config file .*scalar\.json: expected a mapping of option names to values/],
    ['broken.yaml', 'a: [\n', /config file .*broken\.yaml is not valid YAML/],
  ])('%s is refused', async (name, text, message) => {
    writeFileSync(join(dir, name), text);
    await expect(parseOptions(SPECS, ['--config', join(dir, name)], {})).rejects.toThrow(message);
  });
  it('an empty file sets nothing', async () => {
    writeFileSync(join(dir, 'empty.yaml'), '');
    expect((await parseOptions(SPECS, ['--config', join(dir, 'empty.yaml')], {})).values.group).toBe('default');
  });
});
