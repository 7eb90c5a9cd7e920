// The program at a terminal and with bad input, as users run it (the built dist/): a pseudo
// terminal from util-linux `script` stands in for a person's terminal, the only way to see what
// a TTY shows (colours, the progress line) from a test.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockSpool } from '../agent/spool/lock.js';
import { COMMANDS } from '../cli/commands.js';
import { packageRoot } from '../lib/root.js';
import { MAIN, runCli } from './support/cli.js';
import { screenLines } from './support/screen.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-cli-term-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SGR_COLOUR = /\x1b\[3\dm/;

/** Runs the CLI on a pseudo terminal; returns what the terminal received (stdout and stderr mixed, as on a screen). */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; screen: string } {
  const cmd = [process.execPath, MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, screen: r.stdout };
}

describe('at a terminal', () => {
  // An unreachable collector makes the agent log while its progress line is up.
  const unreachable = (work: string) => [
    'agent',
    '--once',
    '--collector',
    '127.0.0.1:9',
    '--profile',
    'quick',
    '--tests',
    'mutex,memory',
    '--trials',
    '1',
    '--flush-timeout',
    '2s',
    '--workdir',
    join(dir, work),
  ];

  it('log lines are written above the progress line, never into it; colours by default', () => {
    const { code, screen } = onTerminal(unreachable('w1'));
    expect(code).toBe(3); // nothing acknowledged: the results stay in the spool
    expect(screen).toMatch(SGR_COLOUR);
    const lines = screenLines(screen);
    expect(
      lines.some((l) => /collector unreachable/.test(l)),
      screen,
    ).toBe(true);
    expect(
      lines.some((l) => /^\[\d\/2\] (mutex|memory) trial 1: ok$/.test(l)),
      screen,
    ).toBe(true);
    for (const l of lines)
      expect(/left.*(INFO|WARN)|(INFO|WARN).*\d+s left/.test(l), `a log line ran into the progress line: ${JSON.stringify(l)}`).toBe(false);
  }, 120_000);

  it('NO_COLOR and --no-color turn colours off', () => {
    for (const [args, env] of [
      [unreachable('w2'), { NO_COLOR: '1' }],
      [['--no-color', ...unreachable('w3')], {}],
    ] as const) {
      const { screen } = onTerminal([...args], env);
      expect(screen).toMatch(/WARN/);
      expect(screen).not.toMatch(SGR_COLOUR);
    }
  }, 120_000);
});

describe('version', () => {
  it('-V, --version and version print the version and the commit the build baked in', async () => {
    const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    const baked = (JSON.parse(readFileSync(join(packageRoot(), 'dist', 'build-info.json'), 'utf8')) as { commit: string }).commit;
    // The build ran in this checkout: what it baked is a commit of it.
    expect(execFileSync('git', ['-C', packageRoot(), 'cat-file', '-t', baked.replace(/-dirty$/, '')], { encoding: 'utf8' }).trim()).toBe('commit');
    for (const flag of ['-V', '--version', 'version']) {
      const r = await runCli([flag]);
      expect(r.code, flag).toBe(0);
      expect(r.stdout).toBe(`virt-overhead ${version} (commit ${baked})\n`);
    }
  });
});

describe('bad input: a clear message and exit 2, nothing run', () => {
  it.each([
    [['agent', '--collector', '127.0.0.1:1', '--once', '--interval', '6'], /--interval 6: 6 what\? e\.g\. 6h/, {}],
    [['agent', '--collector', '127.0.0.1:1', '--once', '--interval', '6h'], /--interval and --once do not go together/, {}],
    [['agent', '--dry-run', '--collector', '127.0.0.1:1'], /--collector and --dry-run do not go together/, {}],
    [['detect', '--root', '/nonexistent'], /--root \/nonexistent: no such directory/, {}],
    [['collector', '--listen', '127.0.0.1:notaport'], /--listen 127\.0\.0\.1:notaport: 'notaport' is not a port/, {}],
    [['health', '--collector', 'nohostport'], /--collector nohostport: 'nohostport' is not HOST:PORT/, {}],
    [['report', '--compare', 'a,b', '--html', join(dir, 'x.html')], /--html and --compare do not go together/, {}],
    [['report', '--metrics', 'some'], /--metrics: expected one of key, all, not 'some'/, {}],
    [['report', '--since', 'soon'], /--since: cannot read duration 'soon'/, {}],
    [['report', '--interval', '6h'], /report does not take --interval/, {}],
    [['report'], /VIRT_OVERHEAD_GROUP is set, .* use VIRT_OVERHEAD_REPORT_GROUP/, { VIRT_OVERHEAD_GROUP: 'lab' }],
  ])('%j', async (args, message, env) => {
    const r = await runCli(args, env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('a duration in weeks is read everywhere (the report gets to asking InfluxDB)', async () => {
    const r = await runCli(['report', '--since', '2w', '--influx', 'http://127.0.0.1:9']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot read results from http:\/\/127\.0\.0\.1:9/);
  });

  it("one command's environment variable does not reach another", async () => {
    const r = await runCli(['report', '--since', '2w', '--influx', 'http://127.0.0.1:9'], { VIRT_OVERHEAD_AGENT_INFLUX: 'http://127.0.0.1:8' });
    expect(r.stderr).toMatch(/127\.0\.0\.1:9/);
  });
});

describe('agent --dry-run', () => {
  it('holds the work directory: a second agent there is refused', async () => {
    const work = join(dir, 'locked');
    const lock = await lockSpool(work);
    try {
      const r = await runCli(['agent', '--dry-run', '--tests', 'mutex', '--trials', '1', '--workdir', work]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`the spool ${work} is in use by agent pid ${process.pid}`));
    } finally {
      lock.release();
    }
  });

  it('runs the quick profile when none is named, and says so in its help', async () => {
    const r = await runCli(['agent', '--dry-run', '--tests', 'mutex', '--trials', '1', '--workdir', join(dir, 'dry')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/; profile quick$/m);
    expect((await runCli(['agent', '--help'])).stdout).toMatch(/--profile VALUE .*quick with --dry-run/);
  }, 120_000);
});

describe('--help', () => {
  it.each(Object.keys(COMMANDS))('%s --help ends with its exit codes', async (name) => {
    const r = await runCli([name, '--help']);
    expect(r.code).toBe(0);
    const tail = r.stdout.trimEnd().split('\n');
    const at = tail.lastIndexOf('Exit status:');
    expect(at, r.stdout).toBeGreaterThan(0);
    const codes = tail.slice(at + 1).map((l) => /^ {2}(\d+) +\S/.exec(l)?.[1]);
    expect(
      codes.every((c) => c !== undefined),
      r.stdout,
    ).toBe(true);
    expect(codes).toContain('0');
    expect(codes).toContain('2');
  });
});
