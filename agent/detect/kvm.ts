// The KVM verdict, by levels: device present, openable, API version, VM created, vCPU ran a
// few real-mode instructions (all from the helper's --kvm-probe), and a real guest booted
// (only the lab can show that, fed in as `guestProbe`). `usable` needs a guest that ran:
// a cloud KVM guest's /dev/kvm opened and created VMs, yet every QEMU guest failed there.
import type { Evidence, KvmLevel, KvmReport } from './types.js';

/** What a /dev/kvm served by kvm_pvm means for guests: the operator's first question here. */
export const PVM_MEANING =
  'kvm_pvm serves KVM here (PVM: pagetable-based virtualization, no vmx/svm): only a guest kernel built with PVM support boots; stock distribution kernels abort in QEMU (failed to set MSR 0x10a)';

/** The vendor modules behind KVM among the kernel's modules (not `kvm` itself), joined by '+'; null when none. */
export function kvmProvider(modules: readonly string[]): string | null {
  const vendors = modules.filter((m) => m !== 'kvm' && m.startsWith('kvm_'));
  return vendors.length ? vendors.join('+') : null;
}

/** One line on KVM's provider for a verdict's reason ('' unless it is PVM, the surprising one). */
export function providerNote(provider: string | null, device: boolean): string {
  if (!provider?.split('+').includes('kvm_pvm')) return '';
  return device ? `; ${PVM_MEANING}` : `; the kernel has kvm_pvm (PVM's KVM) but no /dev/kvm is here (not registered, or not passed into this container)`;
}

export interface KvmProbeResult {
  ranGuest: boolean;
  detail: string;
}

interface ProbeStep {
  ok: boolean;
  version?: number;
  error?: string;
  /** EACCES/EPERM: this process was refused, which says nothing about KVM itself. */
  denied?: boolean;
}

/** errno values of a refused open: EPERM (1), EACCES (13). */
const DENIED_ERRNOS = new Set([1, 13]);

interface ProbeSteps {
  open?: ProbeStep;
  api?: ProbeStep;
  vm?: ProbeStep;
  vcpu?: ProbeStep;
  run?: ProbeStep;
}

/** Reads `kvm <step> ok|fail ERRNO message` and `kvm api_version N` lines. */
export function parseProbeLines(lines: string[]): ProbeSteps {
  const steps: ProbeSteps = {};
  const key: Record<string, keyof ProbeSteps> = { open: 'open', api_version: 'api', create_vm: 'vm', guest_memory: 'vm', create_vcpu: 'vcpu', run: 'run' };
  for (const line of lines) {
    const m = /^kvm (\w+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const k = key[m[1]!];
    if (!k) continue;
    const rest = m[2]!;
    if (rest === 'ok') steps[k] = { ok: true };
    else if (/^\d+$/.test(rest) && k === 'api') steps.api = { ok: true, version: Number(rest) };
    else if (rest.startsWith('fail')) {
      const errno = Number(/^fail\s+(\d+)/.exec(rest)?.[1] ?? NaN);
      steps[k] = { ok: false, error: rest.replace(/^fail\s+\d+\s*/, '') || 'failed', ...(DENIED_ERRNOS.has(errno) ? { denied: true } : {}) };
    }
  }
  return steps;
}

export function decideKvm(input: {
  device: boolean;
  devicePath: string;
  /** Probe lines from the helper (live) or <root>/kvm-probe.txt; null when nothing was tried. */
  probeLines: string[] | null;
  probeSource: string;
  /** Fallback open test when the helper is missing (live root only). */
  nodeOpen: { ok: boolean; error?: string; denied?: boolean } | null;
  guestProbe: KvmProbeResult | null;
  hardwareFlag: 'vmx' | 'svm' | null;
  /** KVM modules in the kernel (signals.kvmModules). */
  modules?: readonly string[];
}): { kvm: KvmReport; evidence: Evidence[] } {
  const evidence: Evidence[] = [];
  const provider = kvmProvider(input.modules ?? []);
  const report: KvmReport = {
    device: input.device,
    openable: null,
    verdict: 'unknown',
    reason: '',
    level: 'none',
    provider,
    steps: { api_version: null, vm_created: null, vcpu_created: null, vcpu_ran: null, guest_ran: null },
  };
  evidence.push({ signal: input.devicePath, value: input.device ? 'present' : 'absent', says: input.device ? 'kvm device present' : 'kvm absent' });
  if (provider)
    evidence.push({
      signal: 'kernel modules',
      value: provider,
      says: provider.includes('kvm_pvm') ? 'kvm by PVM (PVM guest kernels only)' : `kvm by ${provider}`,
    });
  const decided = (r: { kvm: KvmReport; evidence: Evidence[] }) => {
    r.kvm.reason += providerNote(provider, input.device);
    return r;
  };
  if (!input.device) {
    report.verdict = 'absent';
    report.reason =
      `no ${input.devicePath}` + (input.hardwareFlag ? ` (the CPU flags show ${input.hardwareFlag}, but without the device no guest can use it)` : '');
    return decided({ kvm: report, evidence });
  }
  report.level = 'device';

  const steps = input.probeLines ? parseProbeLines(input.probeLines) : {};
  const open = steps.open ?? input.nodeOpen ?? undefined;
  const failed = (what: string, error?: string) => {
    report.verdict = 'unusable';
    report.reason = `${what} failed: ${error ?? 'unknown error'}`;
  };
  const sourceOf = steps.open ? input.probeSource : 'open(2) from node';
  if (open) {
    report.openable = open.ok;
    evidence.push({
      signal: `${sourceOf}: open O_RDWR`,
      value: open.ok ? 'ok' : (open.error ?? 'failed'),
      says: open.ok ? 'kvm openable' : open.denied ? 'kvm not tried (permission)' : 'kvm unusable',
    });
    if (!open.ok && open.denied) {
      // Refused by permissions (e.g. a DynamicUser service without group kvm): KVM was not
      // tried, so it is unknown, never unusable.
      report.reason = `this process may not open ${input.devicePath} (${open.error ?? 'permission denied'}), so KVM was not tried; give the agent access to it (group kvm, or the installed unit's DeviceAllow=/dev/kvm rw)`;
      return decided({ kvm: report, evidence });
    }
    if (!open.ok) {
      failed(`opening ${input.devicePath}`, open.error);
      return decided({ kvm: report, evidence });
    }
    report.level = 'openable';
  }
  const chain: [keyof ProbeSteps, string, KvmLevel | null][] = [
    ['api', 'KVM_GET_API_VERSION', null],
    ['vm', 'KVM_CREATE_VM', 'vm-created'],
    ['vcpu', 'KVM_CREATE_VCPU', null],
    ['run', 'KVM_RUN of a real-mode out+hlt program', 'vcpu-ran'],
  ];
  for (const [k, what, level] of chain) {
    const step = steps[k];
    if (!step) break;
    evidence.push({
      signal: `${input.probeSource}: ${what}`,
      value: step.ok ? (k === 'api' ? String(step.version ?? 'ok') : 'ok') : (step.error ?? 'failed'),
      says: step.ok ? 'step passed' : 'kvm unusable',
    });
    if (k === 'api') report.steps.api_version = step.ok ? (step.version ?? null) : null;
    if (k === 'vm') report.steps.vm_created = step.ok;
    if (k === 'vcpu') report.steps.vcpu_created = step.ok;
    if (k === 'run') report.steps.vcpu_ran = step.ok;
    if (!step.ok) {
      failed(what, step.error);
      return decided({ kvm: report, evidence });
    }
    if (level) report.level = level;
  }

  if (input.guestProbe) {
    report.steps.guest_ran = input.guestProbe.ranGuest;
    evidence.push({ signal: 'guest probe boot', value: input.guestProbe.detail, says: input.guestProbe.ranGuest ? 'kvm usable' : 'kvm unusable' });
    if (input.guestProbe.ranGuest) {
      report.level = 'guest-ran';
      report.verdict = 'usable';
      report.reason = `a guest booted with KVM: ${input.guestProbe.detail}`;
    } else {
      report.verdict = 'unusable';
      report.reason = `${input.devicePath} reached level '${report.level}', but a guest boot with KVM failed: ${input.guestProbe.detail}`;
    }
    return decided({ kvm: report, evidence });
  }
  report.verdict = 'unknown';
  report.reason =
    report.level === 'device'
      ? `${input.devicePath} exists but could not be tried (${input.probeLines ? 'no probe result' : 'no helper and not the live root'})`
      : `${input.devicePath} reached level '${report.level}'; only a guest boot proves KVM usable (none was asked for)`;
  return decided({ kvm: report, evidence });
}
