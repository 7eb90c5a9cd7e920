// The runner against real sysbench: timeouts, fileio's free-space check and its cleanup.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTest, sysbenchVersion, SysbenchMissingError } from './runner.js';
import type { TestSpec } from './profiles.js';
import { tempDir } from '../../test/support/temp-dir.js';

const work = () => tempDir('vo-runner-');

describe('sysbench runner', async () => {
  const version = await sysbenchVersion('sysbench');

  it('says which package to install when sysbench is missing', async () => {
    await expect(sysbenchVersion('/nonexistent/sysbench')).rejects.toThrow(SysbenchMissingError);
    await expect(sysbenchVersion('/nonexistent/sysbench')).rejects.toThrow(/install the package 'sysbench'/);
  });

  it('streams interval lines while the run goes, then parses the result', async () => {
    const samples: number[] = [];
    const seen: number[] = [];
    const spec: TestSpec = { threads: 1, time: 3, options: { 'cpu-max-prime': '2000' }, timeoutS: 60 };
    const started = Date.now();
    const run = await runTest('cpu', spec, {
      sysbench: 'sysbench',
      version,
      workdir: work(),
      onInterval: (s) => (samples.push(s.elapsed_s), seen.push(Date.now() - started)),
    });
    expect(run.ok).toBe(true);
    expect(samples.slice(0, 2)).toEqual([1, 2]);
    // The first sample arrived while sysbench was still running, not at the end.
    expect(seen[0]!).toBeLessThan(run.endedAt - started);
    expect(run.invocation!.fields.events_per_sec).toBeGreaterThan(0);
  });

  it('kills a run that exceeds its timeout and reports it as failed', async () => {
    const spec: TestSpec = { threads: 1, time: 60, options: {}, timeoutS: 1 };
    const run = await runTest('cpu', spec, { sysbench: 'sysbench', version, workdir: work() });
    expect(run.ok).toBe(false);
    expect(run.errors.join()).toMatch(/timed out after 1 s/);
    expect(run.endedAt - run.startedAt).toBeLessThan(30_000);
  });

  it('refuses fileio when the file set cannot fit, writing nothing', async () => {
    const dir = work();
    const spec: TestSpec = { threads: 1, time: 1, options: { 'file-total-size': '100T' }, timeoutS: 60 };
    const run = await runTest('fileio', spec, { sysbench: 'sysbench', version, workdir: dir });
    expect(run.ok).toBe(false);
    expect(run.errors[0]).toMatch(/fileio needs 104857600 MiB in .* but only \d+ MiB are free; nothing was written/);
    expect(run.phases).toEqual([]);
    expect(readdirSync(join(dir, 'fileio'))).toEqual([]);
  });

  it('cleans up fileio files when the run is aborted (SIGINT/SIGTERM path)', async () => {
    const dir = work();
    const spec: TestSpec = { threads: 2, time: 60, options: { 'file-total-size': '32M', 'file-test-mode': 'rndrw' }, timeoutS: 120 };
    const abort = new AbortController();
    const fileDir = join(dir, 'fileio');
    // Abort once the run phase has files to work on.
    const timer = setInterval(() => {
      if (existsSync(fileDir) && readdirSync(fileDir).some((f) => f.startsWith('test_file'))) setTimeout(() => abort.abort(), 1500);
    }, 100);
    const run = await runTest('fileio', spec, { sysbench: 'sysbench', version, workdir: dir, signal: abort.signal });
    clearInterval(timer);
    expect(abort.signal.aborted).toBe(true);
    expect(run.phases.map((p) => p.phase)).toEqual(['prepare', 'run', 'cleanup']);
    expect(run.phases[1]!.signal).toBe('SIGKILL');
    expect(run.phases[2]!.exitCode).toBe(0);
    expect(readdirSync(fileDir).filter((f) => f.startsWith('test_file'))).toEqual([]);
    expect(run.endedAt - run.startedAt).toBeLessThan(60_000);
  });
});
