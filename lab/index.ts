// The lab: the native baseline (pinned to N CPUs) and, for each accelerator and QEMU binary,
// a throwaway guest with N vCPUs running the same agent and profile, all streaming into one
// collector; then the overhead table. One failed guest never stops the others.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PROFILES, type Profile } from '../agent/sysbench/profiles.js';
import { parseSize } from '../lib/units.js';
import { UsageError } from '../lib/errors.js';
import { packageRoot } from '../lib/root.js';
import { GuestError, defaultCacheDir, runInGuest } from './guest.js';
import { GUEST_SCRATCH_DIR } from './initramfs.js';
import { ensureBaseInitramfs } from './initramfs.js';
import { ensureKernel, type LabKernel } from './kernel.js';
import { probeKvm, type KvmProbeResult } from './kvm-probe.js';
import { runNestedChains } from './nested.js';
import { GUEST_COLLECTOR_IP, GUEST_COLLECTOR_PORT, type Accel } from './qemu-args.js';

export interface QemuVariant {
  /** Becomes the `variant` tag. */
  name: string;
  binary: string;
}

export interface LabPlan {
  accels: Accel[];
  qemus: QemuVariant[];
  profile: string;
  trials: number;
  vcpus: number;
  memoryMiB: number;
  group: string;
  /** HOST:PORT of the collector on this machine's loopback. */
  collector: string;
  /** Where the native agent keeps its work files (fileio) and spool. */
  workDir: string;
  keepGoing: boolean;
  /** Nested chains: each L1 guest boots an L2 TCG guest inside itself (lab/nested.ts). */
  nested?: boolean;
  guestTimeoutMs?: number;
  cacheDir?: string;
  log: (line: string) => void;
  onConsole?: (line: string) => void;
}

export interface RunOutcome {
  name: string;
  ok: boolean;
  detail: string;
}

export interface LabOutcome {
  runs: RunOutcome[];
  kvmProbe: KvmProbeResult | null;
}

/** NAME=PATH pairs from --qemu; none given = the system's qemu-system-x86_64 as variant "default". */
export function parseQemuVariants(specs: string[]): QemuVariant[] {
  if (specs.length === 0) return [{ name: 'default', binary: 'qemu-system-x86_64' }];
  const seen = new Set<string>();
  return specs.map((s) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(.+)$/.exec(s);
    if (!m) throw new UsageError(`--qemu '${s}': expected NAME=PATH, e.g. stock=/usr/bin/qemu-system-x86_64 (NAME: letters, digits, '.', '_', '-')`);
    if (seen.has(m[1]!)) throw new UsageError(`--qemu: the name '${m[1]}' is given twice; each binary needs its own variant name`);
    seen.add(m[1]!);
    return { name: m[1]!, binary: m[2]! };
  });
}

export function parseAccels(list: string[]): Accel[] {
  if (list.length === 0) throw new UsageError('--accel: give at least one of tcg, kvm');
  for (const a of list) if (a !== 'tcg' && a !== 'kvm') throw new UsageError(`--accel: unknown accelerator '${a}' (known: tcg, kvm)`);
  return [...new Set(list)] as Accel[];
}

/** The collector must be on this machine's loopback: the guest's only path out relays there. */
export function parseLoopbackCollector(address: string): { host: string; port: number } {
  const m = /^(127\.\d+\.\d+\.\d+|localhost):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
    throw new UsageError(`--collector '${address}': the lab needs a collector on this machine's loopback, as 127.0.0.1:PORT (guests reach only that port)`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** The scratch disk holds fileio's files: the profile's total size plus room for ext4 and the spool. */
export function scratchDiskMiB(profile: Profile): number {
  const size = profile.tests.fileio?.options['file-total-size'];
  const bytes = size ? parseSize(size, 'file-total-size') : 0;
  return Math.ceil((bytes * 1.1) / 1048576) + 128;
}

/** Time a guest may take: boot, plus each test's own time-out per trial, plus Node start-up under TCG. */
export function guestTimeoutMs(profile: Profile, trials: number): number {
  const perTrial = Object.values(profile.tests).reduce((s, t) => s + (t?.timeoutS ?? 0), 0);
  return (180 + perTrial * trials) * 1000;
}

export function cpuList(n: number): string {
  return n === 1 ? '0' : `0-${n - 1}`;
}

export function agentArgs(p: LabPlan, o: { collector: string; role: 'baseline' | 'guest'; variant: string; agentId: string; workdir: string }): string[] {
  return [
    join(packageRoot(), 'dist', 'cli', 'main.js'),
    'agent',
    '--once',
    '--collector',
    o.collector,
    '--role',
    o.role,
    '--variant',
    o.variant,
    '--group',
    p.group,
    '--agent-id',
    o.agentId,
    '--profile',
    p.profile,
    '--trials',
    String(p.trials),
    '--workdir',
    o.workdir,
    '--log-level',
    'warn',
  ];
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs the native agent pinned to CPUs 0..N-1 with taskset, as the baseline. */
export function runNative(p: LabPlan, kvmProbeFile?: string): Promise<RunOutcome> {
  const args = [
    '-c',
    cpuList(p.vcpus),
    process.execPath,
    ...agentArgs(p, { collector: p.collector, role: 'baseline', variant: 'native', agentId: 'lab-native', workdir: p.workDir }),
  ];
  if (kvmProbeFile) args.push('--kvm-probe', kvmProbeFile);
  p.log(`lab: native baseline on CPUs ${cpuList(p.vcpus)}: taskset ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (err) => resolve({ name: 'native', ok: false, detail: `cannot start taskset (util-linux): ${err.message}` }));
    child.once('close', (code) =>
      resolve({ name: 'native', ok: code === 0, detail: code === 0 ? 'all results acknowledged' : `the native agent exited with status ${code}` }),
    );
  });
}

async function runGuest(p: LabPlan, accel: Accel, q: QemuVariant, collectorPort: number, profile: Profile): Promise<RunOutcome> {
  const name = `${accel}/${q.name}`;
  const agentId = `lab-${accel}-${q.name}`;
  const args = agentArgs(p, {
    collector: `${GUEST_COLLECTOR_IP}:${GUEST_COLLECTOR_PORT}`,
    role: 'guest',
    variant: q.name,
    agentId,
    workdir: GUEST_SCRATCH_DIR,
  });
  // Same node binary as the native run (the guest sees this machine's root). The guest's link to the collector is QEMU's relay to this machine's loopback: plain text never leaves the machine.
  const command = [process.execPath, ...args, '--allow-plaintext'].map(shellQuote).join(' ');
  p.log(`lab: guest ${name}: ${p.vcpus} vCPUs, ${p.memoryMiB} MiB, ${q.binary}`);
  try {
    const r = await runInGuest({
      command,
      accel,
      qemuBinary: q.binary,
      vcpus: p.vcpus,
      memoryMiB: p.memoryMiB,
      scratchDiskMiB: scratchDiskMiB(profile),
      collectorPort,
      timeoutMs: p.guestTimeoutMs ?? guestTimeoutMs(profile, p.trials),
      hostname: agentId.slice(0, 63),
      cacheDir: p.cacheDir,
      onConsole: p.onConsole,
    });
    if (r.exitCode === 0) return { name, ok: true, detail: `all results acknowledged (${(r.durationMs / 1000).toFixed(0)} s)` };
    return { name, ok: false, detail: `the agent in the guest exited with status ${r.exitCode}\n--- guest console (last lines) ---\n${r.consoleTail}\n---` };
  } catch (err) {
    return { name, ok: false, detail: err instanceof GuestError ? err.message : `guest could not run: ${(err as Error).message}` };
  }
}

/** What this machine lacks to run lab guests (empty = ready). Quickstart uses it to decide. */
export function labPrerequisites(qemuBinary = 'qemu-system-x86_64'): string[] {
  const missing: string[] = [];
  const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  if (!(qemuBinary.includes('/') ? existsSync(qemuBinary) : onPath(qemuBinary))) missing.push(`${qemuBinary} (apt-get install qemu-system-x86)`);
  if (!existsSync('/bin/busybox')) missing.push('/bin/busybox (apt-get install busybox-static)');
  for (const [cmd, pkg] of [
    ['mke2fs', 'e2fsprogs'],
    ['depmod', 'kmod'],
    ['xz', 'xz-utils'],
    ['taskset', 'util-linux'],
    ['apt-get', 'apt'],
    ['dpkg-deb', 'dpkg'],
  ] as const) {
    if (!onPath(cmd)) missing.push(`${cmd} (apt-get install ${pkg})`);
  }
  return missing;
}

/** Probes KVM when asked for; returns the accelerators that can really run. */
export async function usableAccels(p: LabPlan, kernel: LabKernel, cacheDir: string): Promise<{ accels: Accel[]; kvmProbe: KvmProbeResult | null }> {
  const accels = [...p.accels];
  if (!accels.includes('kvm')) return { accels, kvmProbe: null };
  const kvmProbe = await probeKvm({ qemuBinary: p.qemus[0]!.binary, kernel, cacheDir });
  p.log(`lab: KVM probe: ${kvmProbe.ranGuest ? 'usable' : 'not usable'}: ${kvmProbe.detail}`);
  if (!kvmProbe.ranGuest) {
    accels.splice(accels.indexOf('kvm'), 1);
    p.log('lab: skipping the KVM guests; continuing with TCG only' + (accels.includes('tcg') ? '' : ' (none asked for: add --accel tcg)'));
  }
  return { accels, kvmProbe };
}

/** The lab's own limits on a plan (the CLI checks them before starting anything): a built-in profile, vCPUs this machine has. */
export function checkLabChoices(p: Pick<LabPlan, 'profile' | 'vcpus'>): Profile {
  const profile = BUILTIN_PROFILES[p.profile];
  if (!profile) throw new UsageError(`--profile '${p.profile}': the lab knows ${Object.keys(BUILTIN_PROFILES).join(', ')}`);
  if (!Number.isInteger(p.vcpus) || p.vcpus < 1 || p.vcpus > availableParallelism()) {
    throw new UsageError(`--vcpus ${p.vcpus}: this machine has ${availableParallelism()} CPUs, and the baseline is pinned to as many as the guest gets`);
  }
  return profile;
}

export function checkPlan(p: LabPlan): { profile: Profile; port: number; cacheDir: string; kernel: LabKernel } {
  const profile = checkLabChoices(p);
  const { port } = parseLoopbackCollector(p.collector);
  const cacheDir = p.cacheDir ?? defaultCacheDir();
  // Fetch the kernel and build the initramfs before measuring anything, so set-up time is not in a guest's run.
  const kernel = ensureKernel({ cacheDir, log: p.log });
  ensureBaseInitramfs({ kernel, cacheDir });
  return { profile, port, cacheDir, kernel };
}

/** Only the guests (for callers that ran their own native baseline in the same group, e.g. quickstart). */
export async function runGuests(p: LabPlan, probed?: { accels: Accel[]; kvmProbe: KvmProbeResult | null }): Promise<LabOutcome> {
  const { profile, port, cacheDir, kernel } = checkPlan(p);
  const { accels, kvmProbe } = probed ?? (await usableAccels(p, kernel, cacheDir));
  const runs: RunOutcome[] = [];
  for (const accel of accels) {
    for (const q of p.qemus) {
      const r = await runGuest(p, accel, q, port, profile);
      runs.push(r);
      p.log(`lab: guest ${r.name}: ${r.ok ? 'ok' : 'FAILED'}: ${r.detail}`);
    }
  }
  return { runs, kvmProbe };
}

/** Does this build's agent take --kvm-probe FILE (detection's kvmProbe)? Asked, not assumed. */
/** The KVM probe first (its verdict goes to the baseline's detection), the native baseline, then every guest. */
export async function runLab(p: LabPlan): Promise<LabOutcome> {
  const { kernel, cacheDir } = checkPlan(p);
  const probed = await usableAccels(p, kernel, cacheDir);
  let probeFile: string | undefined;
  if (probed.kvmProbe) {
    mkdirSync(p.workDir, { recursive: true });
    probeFile = join(p.workDir, 'kvm-guest-probe.json');
    writeFileSync(probeFile, JSON.stringify(probed.kvmProbe) + '\n');
  }
  const native = await runNative(p, probeFile);
  p.log(`lab: native: ${native.ok ? 'ok' : 'FAILED'}: ${native.detail}`);
  if (!native.ok && !p.keepGoing) {
    p.log('lab: without a baseline there is nothing to compare against; stopping (--keep-going runs the guests anyway)');
    return { runs: [native], kvmProbe: probed.kvmProbe };
  }
  const guests = p.nested ? await runNestedChains(p, probed) : await runGuests(p, probed);
  return { runs: [native, ...guests.runs], kvmProbe: probed.kvmProbe };
}
