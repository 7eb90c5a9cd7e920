// The single-file agent for guests that cannot run `npm install`: deploy/bundle.sh builds one
// .mjs with esbuild; copied alone to another folder it parses, detects and runs the agent
// against a real collector.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxClient } from '../collector/influx/client.js';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { packageRoot } from '../lib/root.js';
import { onceAgentArgs } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-bundle-'));
const bundle = join(dir, 'alone', 'virt-overhead-agent.mjs');
let stack: LocalStack;

/** Runs the bundle asynchronously: the collector under test lives in this process. */
function runBundle(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: join(dir, 'tmp') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  const built = join(dir, 'virt-overhead-agent.mjs');
  execFileSync('sh', [join(packageRoot(), 'deploy', 'bundle.sh'), built], { cwd: packageRoot(), stdio: 'pipe' });
  // Alone in a folder with no node_modules and no project beside it.
  execFileSync('mkdir', ['-p', join(dir, 'alone'), join(dir, 'tmp')]);
  copyFileSync(built, bundle);
  stack = await startLocalStack({ dataDir: join(dir, 'influx') });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('single-file agent bundle', () => {
  it('is one file that runs the CLI', async () => {
    expect(statSync(bundle).size).toBeGreaterThan(100_000);
    const help = await runBundle(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('virt-overhead <command>');
  });

  it('parses sysbench output like the package does', async () => {
    const r = await runBundle(['parse', '--json', join(packageRoot(), 'test', 'fixtures', 'sysbench', 'qemu-tcg-cpu.txt')]);
    expect(r.code).toBe(0);
    const [inv] = JSON.parse(r.stdout) as { test: string; ok: boolean; fields: Record<string, number> }[];
    expect(inv).toMatchObject({ test: 'cpu', ok: true });
    expect(inv!.fields.events_per_sec).toBeGreaterThan(0);
  });

  it('runs the agent against a real collector, results land in InfluxDB', async () => {
    const r = await runBundle(
      onceAgentArgs({
        collector: stack.collectorAddress,
        profile: 'quick',
        tests: 'mutex,memory',
        trials: 1,
        agentId: 'bundled',
        group: 'bundle',
        workdir: join(dir, 'work'),
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = (await influxClient(stack.influxUrl, stack.database).query(`SELECT test, ok FROM sysbench WHERE agent = 'bundled'`)) as unknown as {
      test: string;
      ok: boolean;
    }[];
    expect(rows.map((x) => x.test).sort()).toEqual(['memory', 'mutex']);
    expect(rows.every((x) => x.ok)).toBe(true);
  });
});
