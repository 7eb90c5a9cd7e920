// What a lab run is (LabPlan), what it yields (LabOutcome), and the pure decisions about it:
// the command-line choices parsed and checked, each guest's disk, time-out and agent command
// line. Shared by the flat lab (index.ts) and the nested one (nested.ts); starts nothing.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PROFILES, preparedBytes, type Profile } from '../agent/sysbench/profiles.js';
import { TESTS } from '../schema/test-types.js';
import { UsageError } from '../lib/errors.js';
import { packageRoot } from '../lib/root.js';
import type { KvmProbeResult } from './kvm-probe.js';
import type { Accel } from './qemu-args.js';

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
  /** Rounds of every QEMU variant per accelerator, in a balanced random order (lab/order.ts); default 1, or 2 (ABBA) with several variants. */
  rounds?: number;
  /** Seed of that order (default: random, printed). */
  orderSeed?: number;
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

/** The scratch disk holds the largest data a prepared test writes (fileio's files; one test at a time, each cleaned up), plus room for ext4 and the spool. */
export function scratchDiskMiB(profile: Profile): number {
  const bytes = Math.max(0, ...TESTS.map((t) => (profile.tests[t] ? preparedBytes(t, profile.tests[t]) : 0)));
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

/** The lab's own limits on a plan (the CLI checks them before starting anything): a built-in profile, vCPUs this machine has. */
export function checkLabChoices(p: Pick<LabPlan, 'profile' | 'vcpus'>): Profile {
  const profile = BUILTIN_PROFILES[p.profile];
  if (!profile) throw new UsageError(`--profile '${p.profile}': the lab knows ${Object.keys(BUILTIN_PROFILES).join(', ')}`);
  if (!Number.isInteger(p.vcpus) || p.vcpus < 1 || p.vcpus > availableParallelism()) {
    throw new UsageError(`--vcpus ${p.vcpus}: this machine has ${availableParallelism()} CPUs, and the baseline is pinned to as many as the guest gets`);
  }
  return profile;
}
