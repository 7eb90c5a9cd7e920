// Raw readings from the machine (or a fixture root). No decisions here: vm.ts, container.ts
// and kvm.ts decide. Commands (dmesg, systemd-detect-virt) run only on the live root; a fixture
// supplies their recorded output as <root>/dmesg.txt and <root>/systemd-detect-virt.txt.
import { execFile } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readSync } from 'node:fs';
import type { RootFs } from './root-fs.js';

export const DMI_FIELDS = ['product_name', 'sys_vendor', 'board_vendor', 'bios_vendor', 'product_version'] as const;

export interface Signals {
  cpuinfo: { modelName: string | null; flags: string[] } | null;
  dmi: Record<string, string>;
  /** `Hypervisor detected: X` names from the kernel log; null when the log could not be read. */
  kernelHypervisor: { names: string[]; source: string } | { unreadable: string };
  clocksource: { available: string[]; current: string | null } | null;
  sysHypervisorType: string | null;
  procXen: boolean;
  deviceTreeHypervisor: string | null;
  dockerenv: boolean;
  containerenv: boolean;
  runSystemdContainer: string | null;
  pid1Cgroup: string | null;
  /** `container=` from /proc/1/environ; undefined when unreadable (it is root-only, often denied). */
  pid1Container: string | null | undefined;
  envContainer: string | null;
  osrelease: string | null;
  kvmDevice: boolean;
  /** KVM modules in the kernel: /proc/modules (loaded) and /sys/module (loaded or built in). */
  kvmModules: string[];
  systemdDetectVirt: { vm: string | null; container: string | null; source: string } | { unavailable: string };
}

function exec(file: string, args: string[]): Promise<{ code: number; stdout: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 5000, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (!err) return resolve({ code: 0, stdout });
      const e = err as NodeJS.ErrnoException & { code?: string | number };
      if (typeof e.code === 'number') return resolve({ code: e.code, stdout });
      resolve({ code: -1, stdout, error: e.message });
    });
  });
}

export function kernelHypervisorNames(log: string): string[] {
  const names: string[] = [];
  for (const m of log.matchAll(/Hypervisor detected: ?(.+)$/gm)) {
    const name = m[1]!.trim();
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

async function readKernelLog(root: RootFs): Promise<Signals['kernelHypervisor']> {
  if (!root.isLive) {
    const text = root.read('dmesg.txt');
    return text == null
      ? { unreadable: `no recorded kernel log (${root.path('dmesg.txt')})` }
      : { names: kernelHypervisorNames(text), source: root.path('dmesg.txt') };
  }
  // /dev/kmsg first: spawning dmesg costs 50-150 ms on a VM with slow process creation.
  const kmsg = readKmsg();
  if (typeof kmsg === 'string') return { names: kernelHypervisorNames(kmsg), source: '/dev/kmsg' };
  const r = await exec('dmesg', []);
  if (r.code === 0 && r.stdout.trim() !== '') return { names: kernelHypervisorNames(r.stdout), source: 'dmesg' };
  // dmesg_restrict or no dmesg binary: the boot log may still be on disk.
  for (const file of ['/var/log/kern.log', '/var/log/dmesg']) {
    const text = root.read(file);
    if (text != null) return { names: kernelHypervisorNames(text), source: file };
  }
  return { unreadable: `/dev/kmsg: ${kmsg.error}; dmesg ${r.error ?? `exited ${r.code}`}; no /var/log/kern.log or /var/log/dmesg` };
}

/** Reads the kernel ring buffer record by record without blocking; EAGAIN means the end. */
function readKmsg(): string | { error: string } {
  let fd: number;
  try {
    fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const buf = Buffer.alloc(8192);
  const records: string[] = [];
  try {
    for (let i = 0; i < 1_000_000; i++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        if (code === 'EPIPE') continue; // a record was overwritten while we read: skip it
        return { error: (err as Error).message };
      }
      if (n === 0) break;
      // Record format: "prio,seq,time,flags;message"
      const rec = buf.toString('utf8', 0, n);
      records.push(rec.slice(rec.indexOf(';') + 1).split('\n')[0]!);
    }
  } finally {
    closeSync(fd);
  }
  return records.join('\n');
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((dir) => dir !== '' && existsSync(`${dir}/${command}`));
}

function parseSystemdRecord(text: string): { vm: string | null; container: string | null } {
  const get = (key: string) => new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(text)?.[1] ?? null;
  return { vm: get('vm'), container: get('container') };
}

async function runSystemdDetectVirt(root: RootFs, enabled: boolean): Promise<Signals['systemdDetectVirt']> {
  if (!root.isLive) {
    const text = root.read('systemd-detect-virt.txt');
    return text == null ? { unavailable: 'not recorded in this fixture' } : { ...parseSystemdRecord(text), source: root.path('systemd-detect-virt.txt') };
  }
  if (!enabled) return { unavailable: 'not run (runSystemdDetectVirt: false)' };
  if (!onPath('systemd-detect-virt')) return { unavailable: 'not installed' };
  // Only --vm: one process (spawning is slow in VMs) and our own container signals are richer.
  // It prints "none" and exits 1 when it finds nothing; that is an answer too.
  const vm = await exec('systemd-detect-virt', ['--vm']);
  if (vm.error) return { unavailable: `not runnable (${vm.error})` };
  return { vm: vm.stdout.trim() || null, container: null, source: 'systemd-detect-virt' };
}

function readCpuinfo(root: RootFs): Signals['cpuinfo'] {
  const text = root.read('proc/cpuinfo');
  if (text == null) return null;
  const modelName = /^model name\s*:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? null;
  const flags = /^flags\s*:\s*(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  return { modelName, flags };
}

function readPid1Container(root: RootFs): string | null | undefined {
  const text = root.read('proc/1/environ');
  if (text == null) return undefined;
  const entry = text.split('\0').find((e) => e.startsWith('container='));
  return entry ? entry.slice('container='.length) : null;
}

/** Names of the KVM modules present (kvm, kvm_intel, kvm_amd, kvm_pvm, ...), each once. */
export function readKvmModules(root: RootFs): string[] {
  const loaded = (root.read('proc/modules') ?? '').split('\n').map((l) => l.split(' ')[0]!);
  // A built-in module has no /proc/modules line, only its /sys/module directory.
  const names = [...loaded, ...root.list('sys/module')].filter((n) => /^kvm(_\w+)?$/.test(n));
  return [...new Set(names)].sort();
}

export async function readSignals(root: RootFs, opts: { env: Record<string, string | undefined>; runSystemdDetectVirt: boolean }): Promise<Signals> {
  const [kernelHypervisor, systemdDetectVirt] = await Promise.all([readKernelLog(root), runSystemdDetectVirt(root, opts.runSystemdDetectVirt)]);
  const dmi: Record<string, string> = {};
  for (const field of DMI_FIELDS) {
    const v = root.line(`sys/class/dmi/id/${field}`);
    if (v != null) dmi[field] = v;
  }
  const cs = 'sys/devices/system/clocksource/clocksource0';
  const available = root.line(`${cs}/available_clocksource`);
  return {
    cpuinfo: readCpuinfo(root),
    dmi,
    kernelHypervisor,
    clocksource: available == null ? null : { available: available.split(/\s+/), current: root.line(`${cs}/current_clocksource`) },
    sysHypervisorType: root.line('sys/hypervisor/type'),
    procXen: root.exists('proc/xen'),
    deviceTreeHypervisor: root.line('proc/device-tree/hypervisor/compatible'),
    dockerenv: root.exists('.dockerenv'),
    containerenv: root.exists('run/.containerenv'),
    runSystemdContainer: root.line('run/systemd/container'),
    pid1Cgroup: root.read('proc/1/cgroup'),
    pid1Container: readPid1Container(root),
    envContainer: opts.env.container ?? null,
    osrelease: root.line('proc/sys/kernel/osrelease'),
    kvmDevice: root.exists('dev/kvm'),
    kvmModules: readKvmModules(root),
    systemdDetectVirt,
  };
}
