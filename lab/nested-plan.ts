// `lab --nested`, the plan: agent ids, L2's memory, profile and time, the shell text L1 runs,
// and the result line L1 prints for the outer lab. Pure (no QEMU, no files), so the unit tier
// tests it without loading the modules that boot guests (lab/nested.ts, lab/nested-inner.ts).
import { join } from 'node:path';
import { BUILTIN_PROFILES, type Profile } from '../agent/sysbench/profiles.js';
import { packageRoot } from '../lib/root.js';
import { agentArgs, guestTimeoutMs, scratchDiskMiB, shellQuote, type LabPlan, type QemuVariant } from './plan.js';
import { GUEST_COLLECTOR_IP, GUEST_COLLECTOR_PORT, GUEST_SCRATCH_DIR, type Accel } from './qemu-args.js';

export interface NestedInnerSpec {
  command: string;
  vcpus: number;
  memoryMiB: number;
  scratchDiskMiB: number;
  timeoutMs: number;
  hostname: string;
  cacheDir: string;
  qemuBinary: string;
}

/** The line L1 prints for the outer lab: `LAB_L2_RESULT {"ok":…}`. */
export const L2_RESULT_MARK = 'LAB_L2_RESULT';

export interface L2Result {
  ok: boolean;
  exitCode: number | null;
  durationMs: number;
  detail: string;
}

export function parseL2Result(output: string): L2Result | null {
  const line = output
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith(`${L2_RESULT_MARK} `));
  if (!line) return null;
  try {
    return JSON.parse(line.trim().slice(L2_RESULT_MARK.length + 1)) as L2Result;
  } catch {
    return null;
  }
}

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
