// The lab: the native baseline (pinned to N CPUs) and, for each accelerator and QEMU binary,
// a throwaway guest with N vCPUs running the same agent and profile, all streaming into one
// collector; then the overhead table. One failed guest never stops the others.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from '../agent/sysbench/profiles.js';
import { GuestError, runInGuest } from './guest.js';
import type { LabKernel } from './kernel.js';
import { probeKvm, type KvmProbeResult } from './kvm-probe.js';
import { runNestedChains } from './nested.js';
import { agentArgs, cpuList, guestTimeoutMs, scratchDiskMiB, shellQuote, type LabOutcome, type LabPlan, type QemuVariant, type RunOutcome } from './plan.js';
import { checkPlan } from './prepare.js';
import { balancedOrder } from './order.js';
import { GUEST_COLLECTOR_IP, GUEST_COLLECTOR_PORT, GUEST_SCRATCH_DIR, type Accel } from './qemu-args.js';

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
      // One host name for every variant of an accelerator: they run on this one machine, so
      // report --compare pairs their runs (the agent id, not the host, tells the variants apart).
      hostname: `lab-${accel}`,
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

/**
 * Only the guests (for callers that ran their own native baseline in the same group, e.g.
 * quickstart). With several QEMU variants each accelerator runs `rounds` rounds of them (default
 * 2: ABBA) in a balanced random order, every variant's guest on the same host name, so that
 * `report --compare A,B` analyses them as pairs.
 */
export async function runGuests(p: LabPlan, probed?: { accels: Accel[]; kvmProbe: KvmProbeResult | null }): Promise<LabOutcome> {
  const { profile, port, cacheDir, kernel } = checkPlan(p);
  const { accels, kvmProbe } = probed ?? (await usableAccels(p, kernel, cacheDir));
  const rounds = p.rounds ?? (p.qemus.length > 1 ? 2 : 1);
  const seed = p.orderSeed ?? Math.floor(Math.random() * 2 ** 31);
  const runs: RunOutcome[] = [];
  for (const accel of accels) {
    const order = balancedOrder(p.qemus, rounds, seed);
    if (rounds > 1 || p.qemus.length > 1) p.log(`lab: ${accel} order (seed ${seed}): ${order.map((r) => r.map((q) => q.name).join(' ')).join(' | ')}`);
    for (const [i, round] of order.entries()) {
      for (const q of round) {
        const r = await runGuest(p, accel, q, port, profile);
        const name = rounds > 1 ? `${r.name} (round ${i + 1})` : r.name;
        runs.push({ ...r, name });
        p.log(`lab: guest ${name}: ${r.ok ? 'ok' : 'FAILED'}: ${r.detail}`);
      }
    }
  }
  return { runs, kvmProbe };
}

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
