// detect(): what we run on (VM layer, container, whether KVM works), with the evidence for each.
// The agent calls detect({ declared }) once at start and sends the answer in its hello.
import { openSync, closeSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { decideContainer } from './container.js';
import { defaultCpuidReader, CpuidFormatError, type CpuidReader, type CpuidReading } from './cpuid.js';
import { decideKvm, kvmProvider, providerNote, type KvmProbeResult } from './kvm.js';
import { checkKvmProbe } from './probe-file.js';
import { UsageError } from '../../lib/errors.js';
import { RootFs } from './root-fs.js';
import { readKvmModules, readSignals } from './signals.js';
import type { Detection } from './types.js';
import { decideVirt } from './vm.js';

export type { Detection, Evidence, Virt, Container, KvmVerdict, KvmReport, KvmLevel, NestedReport } from './types.js';
export type { CpuidReader, CpuidReading } from './cpuid.js';
export type { KvmProbeResult } from './kvm.js';
export { PVM_MEANING } from './kvm.js';
export { parseDeclared, DeclaredError } from './declared.js';

export interface DetectOptions {
  /** Read files under this directory instead of `/` (fixture trees). Commands and the CPUID helper run only for `/`. */
  root?: string;
  declared?: Record<string, string>;
  /** Replaces the CPUID helper (default: the helper on `/`, `<root>/cpuid.txt` elsewhere). */
  cpuid?: CpuidReader;
  /** The lab's probe boot: did a guest actually run with KVM? Default: `<root>/kvm-guest-probe.json` on fixture roots, none live. */
  kvmProbe?: KvmProbeResult;
  /** Ask systemd-detect-virt too (live root only). Default false: it alone takes 150-250 ms on this
   * VM (process creation is slow here), over the 200 ms budget; the CLI turns it on. */
  runSystemdDetectVirt?: boolean;
  /** Environment for `$container` (default: process.env on `/`, empty on fixture roots). */
  env?: Record<string, string | undefined>;
  /** Path of the CPUID helper binary (default: found beside this module or in dist/). */
  helperPath?: string;
}

function nodeOpen(path: string): { ok: boolean; error?: string; denied?: boolean } {
  try {
    closeSync(openSync(path, constants.O_RDWR));
    return { ok: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, error: (err as Error).message, ...(code === 'EACCES' || code === 'EPERM' ? { denied: true } : {}) };
  }
}

function recordedGuestProbe(root: RootFs): KvmProbeResult | null {
  const text = root.read('kvm-guest-probe.json');
  if (text == null) return null;
  const where = root.path('kvm-guest-probe.json');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  return checkKvmProbe(raw, where);
}

/** The module serving KVM under `root` (kvm_intel, kvm_amd, kvm_pvm), and what it means when
 * that is PVM ('; kvm_pvm serves KVM here ...', '' otherwise): for the lab's one-line probe. */
export function kvmProviderOf(root = '/', device = existsSync(join(root, 'dev/kvm'))): { provider: string | null; note: string } {
  const provider = kvmProvider(readKvmModules(new RootFs(root)));
  return { provider, note: providerNote(provider, device) };
}

export async function detect(opts: DetectOptions = {}): Promise<Detection> {
  const root = new RootFs(opts.root ?? '/');
  const env = opts.env ?? (root.isLive ? process.env : {});
  const [signals, cpuidResult] = await Promise.all([
    readSignals(root, { env, runSystemdDetectVirt: opts.runSystemdDetectVirt ?? false }),
    (opts.cpuid ?? defaultCpuidReader(opts.helperPath))(root, { kvmProbe: true }).catch((err: unknown): { missing: string } => {
      if (err instanceof CpuidFormatError) throw err; // a broken fixture is a bug, not a machine fact
      return { missing: `CPUID reader failed: ${(err as Error).message}` };
    }),
  ]);

  const vm = decideVirt(signals, cpuidResult);
  const container = decideContainer(signals);

  const flags = signals.cpuinfo?.flags ?? [];
  const hardwareFlag = flags.includes('vmx') ? 'vmx' : flags.includes('svm') ? 'svm' : null;
  const reading = 'missing' in cpuidResult ? null : (cpuidResult as CpuidReading);
  let probeLines: string[] | null = reading && reading.kvmProbeLines.length > 0 ? reading.kvmProbeLines : null;
  let probeSource = reading?.source ?? 'kvm probe';
  if (!probeLines && !root.isLive) {
    const recorded = root.read('kvm-probe.txt');
    if (recorded != null) {
      probeLines = recorded.split('\n').filter((l) => l.startsWith('kvm '));
      probeSource = root.path('kvm-probe.txt');
    }
  }
  const kvm = decideKvm({
    device: signals.kvmDevice,
    devicePath: root.isLive ? '/dev/kvm' : root.path('dev/kvm'),
    probeLines,
    probeSource,
    nodeOpen: root.isLive && signals.kvmDevice && !probeLines ? nodeOpen('/dev/kvm') : null,
    guestProbe: opts.kvmProbe ?? (root.isLive ? null : recordedGuestProbe(root)),
    hardwareFlag,
    modules: signals.kvmModules,
  });

  const declared = { ...(opts.declared ?? {}) };
  return {
    virt: vm.virt,
    container: container.container,
    cpuid_signatures: vm.cpuidSignatures,
    kvm: kvm.kvm,
    nested: { min_depth: vm.virt === 'none' ? 0 : 1, hardware_virt_flag: hardwareFlag, declared: declared.nesting ?? null },
    declared,
    virt_candidates: vm.candidates,
    evidence: [...vm.evidence, ...container.evidence, ...kvm.evidence],
  };
}
