// Real TCG guests (no mocks): sysbench and `virt-overhead detect` inside a guest, and the
// failure paths (non-zero exit, kernel panic, timeout) with their clean-up.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseSysbenchOutput } from '../agent/sysbench/parser/index.js';
import { packageRoot } from '../lib/root.js';
import { liveCount } from './cleanup.js';
import { GuestError, runInGuest, type RunInGuestOptions } from './guest.js';
import { ensureBaseInitramfs } from './initramfs.js';
import { ensureKernel, hasPvhNote } from './kernel.js';
import { defaultCacheDir } from './guest.js';

const GUEST: Omit<RunInGuestOptions, 'command'> = { accel: 'tcg', vcpus: 2, memoryMiB: 1024, scratchDiskMiB: 64, timeoutMs: 300_000 };

/** Running (a zombie waiting for a reaper counts as gone: it holds no resources). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(() => {
  // The first run downloads and unpacks the kernel (~10 s); later runs use the cache.
  const kernel = ensureKernel({ cacheDir: defaultCacheDir() });
  ensureBaseInitramfs({ kernel, cacheDir: defaultCacheDir() });
}, 300_000);

test('the cached kernel is an ELF vmlinux with a PVH entry note (checked by readelf)', () => {
  const kernel = ensureKernel({ cacheDir: defaultCacheDir() });
  expect(readFileSync(kernel.vmlinux).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(hasPvhNote(kernel.vmlinux)).toBe(true);
  expect(existsSync(join(kernel.modulesDir, 'modules.dep'))).toBe(true);
});

describe("a TCG guest over this machine's read-only root", () => {
  test('runs sysbench cpu and virt-overhead detect; says qemu-tcg, no container', async () => {
    const main = join(packageRoot(), 'dist', 'cli', 'main.js');
    expect(existsSync(main), 'build first: npm run build').toBe(true);
    const r = await runInGuest({
      ...GUEST,
      command: `echo @@SYSBENCH; sysbench cpu --time=2 run; echo @@DETECT; node ${main} detect --json; echo @@SCRATCH; stat -f -c %T /mnt/scratch; touch /usr/lab-write-test && echo overlay-writable`,
    });
    expect(r.exitCode, r.consoleTail).toBe(0);
    const [, sysbenchText, rest] = r.output.split(/^@@(?:SYSBENCH|DETECT)$/m);
    const [inv] = parseSysbenchOutput(sysbenchText!);
    expect(inv?.test).toBe('cpu');
    expect(inv?.ok).toBe(true);
    expect(inv?.fields.events_per_sec).toBeGreaterThan(0);
    const [detectJson, scratch] = rest!.split(/^@@SCRATCH$/m);
    const detection = JSON.parse(detectJson!) as { virt: string; container: string };
    expect(detection.virt).toBe('qemu-tcg');
    expect(detection.container).toBe('none');
    expect(scratch).toMatch(/ext2\/ext3|ext4/);
    expect(scratch).toContain('overlay-writable');
    // The write went to the guest's RAM overlay, never to this machine.
    expect(existsSync('/usr/lab-write-test')).toBe(false);
  });

  test('a failing command returns its status; nothing is left behind', async () => {
    let started = { pid: 0, tmpDir: '' };
    const r = await runInGuest({ ...GUEST, scratchDiskMiB: 16, command: 'echo about to fail; exit 3', onQemuStart: (info) => (started = info) });
    expect(r.exitCode).toBe(3);
    expect(r.output).toBe('about to fail');
    expect(started.pid).toBeGreaterThan(0);
    expect(alive(started.pid)).toBe(false);
    expect(started.tmpDir).toMatch(/virt-overhead-guest-/);
    expect(existsSync(started.tmpDir)).toBe(false);
    expect(liveCount()).toBe(0);
  });

  test('a kernel panic ends the guest with a clear error and the console tail', async () => {
    let started = { pid: 0, tmpDir: '' };
    const err = await runInGuest({
      ...GUEST,
      scratchDiskMiB: 0,
      command: 'echo c > /proc/sysrq-trigger; sleep 60',
      onQemuStart: (info) => (started = info),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).kind).toBe('panic');
    expect((err as GuestError).message).toMatch(/kernel panicked: .*Kernel panic - not syncing/);
    expect((err as GuestError).consoleTail).toMatch(/sysrq/i);
    expect(alive(started.pid)).toBe(false);
    expect(existsSync(started.tmpDir)).toBe(false);
  });

  test('a guest that runs too long is stopped and reported as a timeout', async () => {
    let started = { pid: 0, tmpDir: '' };
    const err = await runInGuest({ ...GUEST, scratchDiskMiB: 0, timeoutMs: 8_000, command: 'sleep 600', onQemuStart: (info) => (started = info) }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).kind).toBe('timeout');
    expect((err as GuestError).message).toMatch(/did not finish within 8 s/);
    expect(alive(started.pid)).toBe(false);
    expect(existsSync(started.tmpDir)).toBe(false);
  });

  test('a QEMU binary that does not exist is a clear error', async () => {
    const err = await runInGuest({ ...GUEST, scratchDiskMiB: 0, command: 'true', qemuBinary: '/nonexistent/qemu-system-x86_64' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).message).toMatch(/cannot start QEMU '\/nonexistent\/qemu-system-x86_64'/);
  });

  test('SIGTERM to the program running a guest stops QEMU and removes its temp files', async () => {
    const guestModule = join(packageRoot(), 'dist', 'lab', 'guest.js');
    expect(existsSync(guestModule), 'build first: npm run build').toBe(true);
    const script = `import(${JSON.stringify(guestModule)}).then((m) => m.runInGuest({ command: 'sleep 600', accel: 'tcg', vcpus: 1, memoryMiB: 512, scratchDiskMiB: 16, timeoutMs: 600000, onQemuStart: (i) => console.log('QEMU ' + i.pid + ' ' + i.tmpDir) }))`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [qemuPid, tmpDir] = await new Promise<[number, string]>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /QEMU (\d+) (\S+)\n/.exec(out);
        if (m) resolve([Number(m[1]), m[2]!]);
      });
      child.once('close', () => reject(new Error(`the runner exited before QEMU started: ${out}`)));
    });
    expect(alive(qemuPid)).toBe(true);
    expect(existsSync(join(tmpDir, 'scratch.img'))).toBe(true);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, signal) => resolve(signal)));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(alive(qemuPid)).toBe(false);
    expect(existsSync(tmpDir)).toBe(false);
  });
});
