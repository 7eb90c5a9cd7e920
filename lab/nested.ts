// `lab --nested`: a chain of three layers on one machine. After the native baseline (L0,
// agent lab-native), each L1 guest runs its agent with --parent lab-native, then boots an L2
// TCG guest inside itself the way the lab boots L1 (QEMU, kernel and initramfs are all
// reachable through the shared 9p root; lab/nested-inner.ts) whose agent runs a short suite
// (quick cpu + memory) with --parent <L1>. The collector then has each layer against its
// parent and against the root (docs/overhead.md "Nested stacks").
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_PROFILES, type Profile } from '../agent/sysbench/profiles.js';
import { packageRoot } from '../lib/root.js';
import { GuestError, runInGuest } from './guest.js';
import { agentArgs, guestTimeoutMs, scratchDiskMiB, shellQuote, type LabOutcome, type LabPlan, type QemuVariant, type RunOutcome } from './plan.js';
import { checkPlan } from './prepare.js';
import { GUEST_SCRATCH_DIR } from './initramfs.js';
import type { KvmProbeResult } from './kvm-probe.js';
import { parseL2Result, type NestedInnerSpec } from './nested-inner.js';
import { GUEST_COLLECTOR_IP, GUEST_COLLECTOR_PORT, type Accel } from './qemu-args.js';

/** L2's suite: short enough for CI under TCG inside TCG. */
export const L2_TESTS = ['cpu', 'memory'] as const;
export const L2_PROFILE = 'quick';
/** TCG inside TCG runs about 10× slower again than one TCG layer (measured: docs/lab.md). */
const L2_SLOWDOWN = 10;

export function l1AgentId(accel: Accel, q: QemuVariant): string {
  return `lab-${accel}-${q.name}`;
}

export function l2AgentId(accel: Accel, q: QemuVariant): string {
  return `lab-${accel}-${q.name}-l2`;
}

/** L2's memory: half of L1's (L1 still holds its own RAM overlay), at most 1 GiB. */
export function l2MemoryMiB(l1MemoryMiB: number): number {
  return Math.max(256, Math.min(1024, Math.floor(l1MemoryMiB / 2)));
}

function l2Profile(): Profile {
  const quick = BUILTIN_PROFILES[L2_PROFILE]!;
  return { ...quick, tests: Object.fromEntries(L2_TESTS.map((t) => [t, quick.tests[t]])) };
}

/** Time for L2: boot and the short suite, each slowed down by the second layer of emulation. */
export function l2TimeoutMs(trials: number): number {
  return guestTimeoutMs(l2Profile(), trials) * L2_SLOWDOWN;
}

/**
 * L2's profile as a file: the quick profile's cpu and memory tests, same name and sysbench
 * options (so L2 is compared like with like), only each test's time-out stretched for the
 * second layer of emulation (the memory test's fixed 1 GiB takes minutes there).
 */
export function l2ProfileJson(): string {
  const tests = Object.fromEntries(
    Object.entries(l2Profile().tests).map(([name, t]) => [
      name,
      { threads: t!.threads, ...(t!.time !== undefined ? { time: t!.time } : {}), options: t!.options, timeout_s: t!.timeoutS * L2_SLOWDOWN },
    ]),
  );
  return JSON.stringify({ name: L2_PROFILE, tests }, null, 2) + '\n';
}

/** Written where L1 and L2 see it (this machine's root is theirs, read-only). */
function writeL2Profile(p: LabPlan): string {
  mkdirSync(p.workDir, { recursive: true });
  const file = join(p.workDir, 'l2-profile.json');
  writeFileSync(file, l2ProfileJson());
  return file;
}

/** The shell text L1 runs: its own agent, then the L2 launcher. Exit status: L1's agent's. */
export function l1Command(p: LabPlan, accel: Accel, q: QemuVariant, cacheDir: string, l2ProfileFile: string): string {
  const node = process.execPath;
  const collector = `${GUEST_COLLECTOR_IP}:${GUEST_COLLECTOR_PORT}`;
  const l1 = [
    node,
    ...agentArgs(p, { collector, role: 'guest', variant: q.name, agentId: l1AgentId(accel, q), workdir: GUEST_SCRATCH_DIR }),
    '--allow-plaintext',
    '--parent',
    'lab-native',
    '--declare',
    'nesting=L1',
  ];
  const l2Args = agentArgs(
    { ...p, profile: l2ProfileFile },
    { collector, role: 'guest', variant: q.name, agentId: l2AgentId(accel, q), workdir: GUEST_SCRATCH_DIR },
  );
  const l2 = [node, ...l2Args, '--tests', L2_TESTS.join(','), '--allow-plaintext', '--parent', l1AgentId(accel, q), '--declare', 'nesting=L2'];
  const spec: NestedInnerSpec = {
    command: l2.map(shellQuote).join(' '),
    vcpus: p.vcpus,
    memoryMiB: l2MemoryMiB(p.memoryMiB),
    scratchDiskMiB: scratchDiskMiB(l2Profile()),
    timeoutMs: l2TimeoutMs(p.trials),
    hostname: l2AgentId(accel, q).slice(0, 63),
    cacheDir,
    qemuBinary: q.binary,
  };
  const inner = [node, join(packageRoot(), 'dist', 'lab', 'nested-inner.js'), JSON.stringify(spec)];
  return [`${l1.map(shellQuote).join(' ')}; a=$?`, `${inner.map(shellQuote).join(' ')}`, 'exit $a'].join('\n');
}

/** One chain: L1 (accel) with its L2 inside. Two outcomes: L1's and L2's. */
async function runChain(p: LabPlan, accel: Accel, q: QemuVariant, port: number, profile: Profile, cacheDir: string): Promise<RunOutcome[]> {
  const l1Name = `${accel}/${q.name}`;
  const l2Name = `${accel}/${q.name}/L2-tcg`;
  p.log(
    `lab: nested chain ${l1Name}: L1 ${accel} guest (${p.vcpus} vCPUs, ${p.memoryMiB} MiB) runs its suite, then boots an L2 TCG guest (${l2MemoryMiB(p.memoryMiB)} MiB) with ${L2_TESTS.join(' + ')}`,
  );
  try {
    const r = await runInGuest({
      command: l1Command(p, accel, q, cacheDir, writeL2Profile(p)),
      accel,
      qemuBinary: q.binary,
      vcpus: p.vcpus,
      memoryMiB: p.memoryMiB,
      scratchDiskMiB: scratchDiskMiB(profile),
      collectorPort: port,
      timeoutMs: (p.guestTimeoutMs ?? guestTimeoutMs(profile, p.trials)) + l2TimeoutMs(p.trials),
      hostname: l1AgentId(accel, q).slice(0, 63),
      cacheDir,
      onConsole: p.onConsole,
    });
    const l2 = parseL2Result(r.output);
    const secs = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
    const l1Outcome: RunOutcome =
      r.exitCode === 0
        ? { name: l1Name, ok: true, detail: `all results acknowledged (L1 with L2 inside: ${secs(r.durationMs)})` }
        : { name: l1Name, ok: false, detail: `the agent in L1 exited with status ${r.exitCode}\n--- guest console (last lines) ---\n${r.consoleTail}\n---` };
    const l2Outcome: RunOutcome = l2
      ? { name: l2Name, ok: l2.ok, detail: `${l2.detail} (L2 boot + suite: ${secs(l2.durationMs)})` }
      : { name: l2Name, ok: false, detail: `L1 printed no L2 result\n--- L1 console (last lines) ---\n${r.consoleTail}\n---` };
    return [l1Outcome, l2Outcome];
  } catch (err) {
    const detail = err instanceof GuestError ? err.message : `guest could not run: ${(err as Error).message}`;
    return [
      { name: l1Name, ok: false, detail },
      { name: l2Name, ok: false, detail: 'not run: its L1 failed' },
    ];
  }
}

/** After the native baseline: one nested chain per usable accelerator and QEMU binary. */
export async function runNestedChains(p: LabPlan, probed: { accels: Accel[]; kvmProbe: KvmProbeResult | null }): Promise<LabOutcome> {
  const { profile, port, cacheDir } = checkPlan(p);
  const runs: RunOutcome[] = [];
  for (const accel of probed.accels) {
    for (const q of p.qemus) {
      for (const r of await runChain(p, accel, q, port, profile, cacheDir)) {
        runs.push(r);
        p.log(`lab: ${r.name}: ${r.ok ? 'ok' : 'FAILED'}: ${r.detail}`);
      }
    }
  }
  return { runs, kvmProbe: probed.kvmProbe };
}
