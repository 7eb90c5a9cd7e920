// `virt-overhead parse` through its run(argv): output and exit status for good, failed,
// empty and unreadable files.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { run } from '../../../cli/commands/parse.js';
import { tempDir } from '../../../test/support/temp-dir.js';

const fx = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/sysbench/${name}`, import.meta.url));
let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

test('--json with one file prints one array; all ok -> 0', async () => {
  expect(await run([fx('1.0.20-fileio-prepare-run-cleanup.txt'), '--json'])).toBe(0);
  const arr = JSON.parse(out);
  expect(arr.map((i: { phase: string }) => i.phase)).toEqual(['prepare', 'run', 'cleanup']);
  expect(arr[1].fields.read_mib_per_sec).toBe(268.71);
});

test('--json with several files prints one array per file, one per line', async () => {
  expect(await run(['--json', fx('1.0.20-cpu.txt'), fx('0.4.12-cpu-memory-scaleway.md.txt')])).toBe(0);
  const lines = out.trim().split('\n');
  expect(lines.length).toBe(2);
  expect(JSON.parse(lines[0]!)[0].fields.events_per_sec).toBe(3653.58);
  expect(JSON.parse(lines[1]!).map((i: { test: string }) => i.test)).toEqual(['cpu', 'memory']);
});

test('a failed run -> 1, and the table shows the FATAL line', async () => {
  expect(await run([fx('1.0.20-fileio-run-without-prepare.txt')])).toBe(1);
  expect(out).toContain('FAILED');
  expect(out).toContain("error: FATAL: Cannot open file 'test_file.0' errno = 2 (No such file or directory)");
});

test('a file with no invocation -> 1', async () => {
  const dir = tempDir('parse-cli-');
  writeFileSync(join(dir, 'empty.txt'), 'nothing here\n');
  expect(await run([join(dir, 'empty.txt')])).toBe(1);
  expect(out).toContain('no sysbench invocation found');
});

test('an unreadable file -> 2 naming the file; other files are still parsed', async () => {
  expect(await run(['/nonexistent/sysbench.log', fx('1.0.20-cpu.txt')])).toBe(2);
  expect(err).toContain('cannot read /nonexistent/sysbench.log: ENOENT');
  expect(out).toContain('3653.58');
});

test('no file is a usage error', async () => {
  await expect(run([])).rejects.toThrow(/at least one file/);
});
