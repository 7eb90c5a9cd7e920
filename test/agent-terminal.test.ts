// The agent at a terminal: `--dry-run` needs no collector and prints what it measured;
// `--once` ends with the same table after everything was acknowledged.
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { onceAgentArgs, runCli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-agent-term-'));
let stack: LocalStack | undefined;
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const TABLE_HEAD = /^test\s+trials\s+metric\s+mean\s+spread \(RSD\)$/m;

describe('agent --dry-run', () => {
  it('runs the suite without a collector, prints the table, keeps no spool', async () => {
    const work = join(dir, 'dry');
    const r = await runCli(['agent', '--dry-run', '--profile', 'quick', '--tests', 'mutex,memory', '--trials', '1', '--workdir', work]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^virt \S+, container \S+, kvm \S+; sysbench 1\.0\.\d+; profile quick$/m);
    expect(r.stdout).toMatch(TABLE_HEAD);
    // The trial rule may add trials (its minimum is its business): count them from the table.
    const mutex = /^mutex\s+(\d+)\s+total_time_s\s+[\d.]+\s+(-|[\d.]+ %)$/m.exec(r.stdout);
    const memory = /^memory\s+(\d+)\s+mib_per_sec\s+[\d ]+(\.\d+)?\s+(-|[\d.]+ %)$/m.exec(r.stdout);
    expect(mutex, r.stdout).not.toBeNull();
    expect(memory, r.stdout).not.toBeNull();
    expect(r.stdout).toContain(`dry run: ${Number(mutex![1]) + Number(memory![1])} results, nothing sent or kept`);
    expect(existsSync(join(work, 'spool'))).toBe(false);
  }, 120_000);

  it('a work dir it may not create: says so and uses a temporary one', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, ''); // a work dir below a file cannot be made (ENOTDIR), even as root
    const r = await runCli(['agent', '--dry-run', '--profile', 'quick', '--tests', 'mutex', '--trials', '1', '--workdir', join(file, 'work')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cannot use --workdir .*a-file\/work \(ENOTDIR\); fileio runs in .*vo-dry-run-/);
  }, 120_000);
});

describe('agent --once', () => {
  it('ends with the table of what it measured, after the collector acknowledged it', async () => {
    stack = await startLocalStack({ dataDir: join(dir, 'influx') });
    const work = join(dir, 'once');
    const r = await runCli(
      onceAgentArgs({ collector: stack.collectorAddress, profile: 'quick', tests: 'mutex', trials: 2, agentId: 'term', group: 'term', workdir: work }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(TABLE_HEAD);
    expect(r.stdout).toMatch(/^mutex\s+[234]\s+total_time_s\s+[\d.]+\s+[\d.]+ %$/m);
  }, 120_000);
});
