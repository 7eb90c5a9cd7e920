// The runner against real sysbench: timeouts, fileio's free-space check and its cleanup.
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

  // Issue 23 item 7: a sysbench whose child keeps stdout open defeated the timeout (only the direct
  // child was killed, then the runner waited for an end of output that never came). Stand-in
  // scripts, since no real sysbench does this; each records its children's pids for the checks.
  describe('a sysbench whose child holds the output open', () => {
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.startsWith('Z');
      } catch {
        return false;
      }
    };
    const standIn = (dir: string, body: string): string => {
      const path = join(dir, 'sysbench');
      writeFileSync(path, `#!/bin/sh\nif [ "$1" = --version ]; then echo 'sysbench 1.0.20'; exit 0; fi\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    const pids = (dir: string) => readFileSync(join(dir, 'pids'), 'utf8').trim().split(/\s+/).map(Number);
    const spec: TestSpec = { threads: 1, time: 1, options: {}, timeoutS: 1 };

    it('on timeout the whole process group is killed and the run is reported as timed out', async () => {
      const dir = work();
      const bin = standIn(dir, `sleep 600 & echo $! > ${dir}/pids\necho 'sysbench 1.0.20 (stand-in)'\nsleep 600`);
      const run = await runTest('cpu', spec, { sysbench: bin, version: await sysbenchVersion(bin), workdir: dir });
      expect(run.ok).toBe(false);
      expect(run.errors.join()).toMatch(/timed out after 1 s/);
      expect(run.phases[0]!.output).toMatch(/stand-in/);
      expect(pids(dir).filter(alive)).toEqual([]);
    });

    it('after sysbench exits, a child left holding the pipe is killed and the run ends', async () => {
      const dir = work();
      const bin = standIn(dir, `sleep 600 & echo $! > ${dir}/pids\necho 'sysbench 1.0.20 (stand-in)'\nexit 0`);
      const run = await runTest('cpu', { ...spec, timeoutS: 600 }, { sysbench: bin, version: await sysbenchVersion(bin), workdir: dir });
      expect(run.phases[0]!.exitCode).toBe(0);
      expect(run.errors.join()).toMatch(/printed no statistics/);
      expect(pids(dir).filter(alive)).toEqual([]);
    });

    it("a child that left the group (setsid) is not waited for: the run ends, the child is the test's to stop", async () => {
      const dir = work();
      const bin = standIn(dir, `setsid sleep 600 & echo $! > ${dir}/pids\nsleep 600`);
      try {
        const run = await runTest('cpu', spec, { sysbench: bin, version: await sysbenchVersion(bin), workdir: dir });
        expect(run.errors.join()).toMatch(/timed out after 1 s/);
      } finally {
        for (const pid of pids(dir)) if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    });
  });
});
