// The agent as users run it: bad input gets a clear error and nothing runs; an unreachable
// collector is retried while results wait in the spool, and they land once it is back.
import { mkdtempSync, rmSync, writeFileSync, readdirSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../collector/influx/influxd.js';
import { startLocalStack } from '../collector/stack.js';
import { influxClient } from '../collector/influx/client.js';
import { onceAgentArgs, runCli, startCli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-agent-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agent: bad input', () => {
  it('an unknown option is a usage error and runs nothing', async () => {
    const r = await runCli(['agent', '--collector', '127.0.0.1:1', '--once', '--workdir', join(dir, 'w0'), '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/agent does not take --bogus/);
    expect(() => readdirSync(join(dir, 'w0'))).toThrow(); // nothing created
  });

  it('an unknown profile or test is a usage error', async () => {
    const p = await runCli(['agent', '--collector', '127.0.0.1:1', '--once', '--workdir', join(dir, 'w1'), '--profile', 'fastest']);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/unknown profile 'fastest'/);
    const t = await runCli(['agent', '--collector', '127.0.0.1:1', '--once', '--workdir', join(dir, 'w1'), '--tests', 'cpu,muxex']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/unknown test 'muxex'/);
  });

  it('a missing collector address is a usage error', async () => {
    const r = await runCli(['agent', '--once', '--workdir', join(dir, 'w2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--collector is required/);
  });

  it('sysbench not installed: one clear line naming the package, exit non-zero', async () => {
    const r = await runCli(['agent', '--collector', '127.0.0.1:1', '--once', '--workdir', join(dir, 'w3'), '--sysbench', join(dir, 'no-sysbench')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/sysbench is not installed.*install the package 'sysbench'/);
  });

  it('plain text to a collector that is not on loopback is refused unless allowed', async () => {
    const r = await runCli(onceAgentArgs({ collector: 'collector.example:50051', workdir: join(dir, 'w4'), tests: 'mutex', profile: 'quick' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to send results in plain text/);
  });
});

describe('agent: collector unreachable, then back', () => {
  it('keeps the results spooled while retrying, and delivers them on the next start', async () => {
    const work = join(dir, 'spooled');
    const port = await freePort();
    const first = await runCli(
      onceAgentArgs({
        collector: `127.0.0.1:${port}`,
        profile: 'quick',
        tests: 'mutex',
        trials: 1,
        workdir: work,
        agentId: 'retry-agent',
        group: 'cli',
        extra: ['--flush-timeout', '4s'],
      }),
    );
    expect(first.stderr).toMatch(/collector unreachable; results stay in the spool, retrying/);
    expect(first.stderr).toMatch(/did not acknowledge everything in time/);
    expect(first.code).toBe(3);

    const stack = await startLocalStack({ dataDir: join(dir, 'influx') });
    try {
      const second = await runCli(
        onceAgentArgs({ collector: stack.collectorAddress, profile: 'quick', tests: 'memory', trials: 1, workdir: work, agentId: 'retry-agent', group: 'cli' }),
      );
      expect(second.code).toBe(0);
      const rows = (await influxClient(stack.influxUrl, stack.database).query(`SELECT test, ok FROM sysbench WHERE agent = 'retry-agent'`)) as unknown as {
        test: string;
      }[];
      // The spooled mutex result from the first start and the memory result of the second.
      expect(rows.map((r) => r.test).sort()).toEqual(['memory', 'mutex']);
    } finally {
      await stack.stop();
    }
  });
});

describe('collector: bad input', () => {
  it('InfluxDB unreachable at start: clear error, non-zero exit', async () => {
    const port = await freePort();
    const r = await runCli(['collector', '--listen', '127.0.0.1:0', '--influx', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InfluxDB is not reachable at http:\/\/127\.0\.0\.1:\d+/);
  });

  it('refuses plain text on a non-loopback address unless allowed', async () => {
    const r = await runCli(['collector', '--listen', '0.0.0.0:0', '--influx', 'http://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen in plain text/);
  });

  it('a tokens file with a bad entry names it', async () => {
    const f = join(dir, 'tokens.yaml');
    writeFileSync(f, '- token: short\n  agent: a\n  group: g\n');
    chmodSync(f, 0o600);
    const r = await runCli(['collector', '--listen', '127.0.0.1:0', '--tokens', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/entry 1: token must be a string of at least 16 characters/);
  });
});

describe('agent: SIGTERM in the middle of fileio', () => {
  it('stops the run, always cleans up the file set, and exits 0', async () => {
    const work = join(dir, 'sigterm');
    const profile = join(dir, 'long-fileio.yaml');
    writeFileSync(profile, 'tests:\n  fileio:\n    threads: 2\n    time: 120\n    options:\n      file-total-size: 64M\n      file-test-mode: rndrw\n');
    const port = await freePort(); // nobody listens: the agent spools and keeps retrying meanwhile
    const { child, done } = startCli([
      'agent',
      '--collector',
      `127.0.0.1:${port}`,
      '--once',
      '--profile',
      profile,
      '--tests',
      'fileio',
      '--trials',
      '1',
      '--workdir',
      work,
      '--agent-id',
      'sigterm-agent',
    ]);
    const files = () => (existsSync(join(work, 'fileio')) ? readdirSync(join(work, 'fileio')).filter((f) => f.startsWith('test_file')) : []);
    // Wait until prepare wrote the file set and the run has started.
    const deadline = Date.now() + 60_000;
    while (files().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(files().length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(child.pid!, 'SIGTERM');
    const r = await done;
    expect(r.stderr).toMatch(/stopping: ending the current test/);
    expect(r.code).toBe(0);
    expect(files()).toEqual([]);
  });
});
