// The lab's option handling and sizing rules, with values worked out by hand.
import { describe, expect, test } from 'vitest';
import { BUILTIN_PROFILES } from '../agent/sysbench/profiles.js';
import { labPrerequisites } from './index.js';
import { cpuList, guestTimeoutMs, parseAccels, parseLoopbackCollector, parseQemuVariants, scratchDiskMiB } from './plan.js';
import { probeKvm } from './kvm-probe.js';
import { fileURLToPath } from 'node:url';
import { runCli } from '../test/support/cli.js';

describe('lab options', () => {
  test('--qemu NAME=PATH pairs become variants; none = the system QEMU', () => {
    expect(parseQemuVariants([])).toEqual([{ name: 'default', binary: 'qemu-system-x86_64' }]);
    expect(parseQemuVariants(['stock=/usr/bin/qemu-system-x86_64', 'patched=/opt/qemu/bin/qemu-system-x86_64'])).toEqual([
      { name: 'stock', binary: '/usr/bin/qemu-system-x86_64' },
      { name: 'patched', binary: '/opt/qemu/bin/qemu-system-x86_64' },
    ]);
    expect(() => parseQemuVariants(['/usr/bin/qemu'])).toThrow(/NAME=PATH/);
    expect(() => parseQemuVariants(['a=/x', 'a=/y'])).toThrow(/given twice/);
  });

  test('--accel accepts tcg and kvm only', () => {
    expect(parseAccels(['tcg', 'kvm', 'tcg'])).toEqual(['tcg', 'kvm']);
    expect(() => parseAccels(['hvf'])).toThrow(/unknown accelerator 'hvf'/);
    expect(() => parseAccels([])).toThrow(/at least one/);
  });

  test('the collector must be on the loopback', () => {
    expect(parseLoopbackCollector('127.0.0.1:50051')).toEqual({ host: '127.0.0.1', port: 50051 });
    expect(() => parseLoopbackCollector('10.1.2.3:50051')).toThrow(/loopback/);
    expect(() => parseLoopbackCollector('127.0.0.1:99999')).toThrow(/loopback/);
  });

  test('scratch disk and time-out follow the profile', () => {
    // quick: fileio 128M -> ceil(128*1.1)=141 + 128 = 269 MiB; seed: 2G -> ceil(2048*1.1)=2253 + 128 = 2381 MiB.
    expect(scratchDiskMiB(BUILTIN_PROFILES.quick!)).toBe(269);
    expect(scratchDiskMiB(BUILTIN_PROFILES.seed!)).toBe(2381);
    // quick time-outs 60+90+240+120+120 = 630 s per trial; plus 180 s of boot and start-up.
    expect(guestTimeoutMs(BUILTIN_PROFILES.quick!, 2)).toBe((180 + 2 * 630) * 1000);
    expect(cpuList(1)).toBe('0');
    expect(cpuList(4)).toBe('0-3');
  });
});

describe('KVM probe', () => {
  test('no device: no guest is tried, the reason says so', async () => {
    const noModules = fileURLToPath(new URL('../test/fixtures/env/qemu-tcg/', import.meta.url));
    expect(await probeKvm({ device: '/nonexistent/kvm', root: noModules })).toEqual({
      ranGuest: false,
      detail: '/nonexistent/kvm is absent: this machine offers no KVM',
    });
  });
  test('where the kernel has kvm_pvm, the one line says what that means', async () => {
    const pvm = fileURLToPath(new URL('../test/fixtures/env/this-machine-kvm-pvm/', import.meta.url));
    const r = await probeKvm({ device: '/nonexistent/kvm', root: pvm });
    expect(r.detail).toBe(
      "/nonexistent/kvm is absent: this machine offers no KVM; the kernel has kvm_pvm (PVM's KVM) but no /dev/kvm is here (not registered, or not passed into this container)",
    );
    expect(r.detail).not.toContain('\n');
  });
});

describe('prerequisites', () => {
  test('this machine has everything but a missing QEMU binary is named with its package', () => {
    expect(labPrerequisites()).toEqual([]);
    expect(labPrerequisites('/nonexistent/qemu-system-x86_64')).toEqual(['/nonexistent/qemu-system-x86_64 (apt-get install qemu-system-x86)']);
  });
});

describe('virt-overhead lab: bad input is refused before anything starts', () => {
  test.each([
    [['--accel', 'hvf'], /unknown accelerator 'hvf'/],
    [['--qemu', '/usr/bin/qemu-system-x86_64'], /expected NAME=PATH/],
    [['--collector', '192.0.2.1:50051'], /loopback/],
    [['--trials', '0'], /--trials: expected a positive whole number/],
    [['--memory', '100MiB'], /at least 512MiB/],
    [['--vcpus', '4096'], /--vcpus 4096: this machine has/],
    [['--profile', 'nope'], /--profile 'nope': the lab knows/],
  ])('%j', async (args, message) => {
    const r = await runCli(['lab', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
