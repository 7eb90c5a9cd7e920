// Decides the VM layer from the signals. Precedence (the `rule` evidence line says which fired):
//  1. DMI of a vendor that presents another hypervisor's CPUID interface (VirtualBox, Parallels, Xen):
//     VirtualBox shows KVMKVMKVM to Linux guests by default, so CPUID alone would say kvm.
//  2. The kernel's `Hypervisor detected:` when it names a hypervisor that no CPUID signature names:
//     the kernel bound to that paravirt interface, so it is there (PVM under a `bhyve` CPUID mask).
//  3. CPUID signatures in leaf order, except that `Microsoft Hv` followed by another known
//     signature at a higher leaf is that hypervisor's Hyper-V enlightenments (KVM, Xen);
//     then a `QEMU TCG CPU` model name (TCG even when the signature is hidden).
//  4. The kernel line, /sys/hypervisor/type, /proc/xen, the device tree, DMI, clocksource,
//     systemd-detect-virt, and last the bare `hypervisor` CPU flag (vm-other).
import { hex, signaturesOf, type CpuidReading } from './cpuid.js';
import { virtFromDmi, virtFromKernelName, virtFromSignature, virtFromSystemd } from './names.js';
import { DMI_FIELDS, type Signals } from './signals.js';
import type { Evidence, Virt } from './types.js';

export interface VirtDecision {
  virt: Virt;
  cpuidSignatures: string[];
  candidates: { virt: Virt; signals: string[] }[];
  evidence: Evidence[];
}

export function decideVirt(s: Signals, cpuid: CpuidReading | { missing: string }): VirtDecision {
  const evidence: Evidence[] = [];
  const candidates: { virt: Virt; signals: string[] }[] = [];
  const vote = (virt: Virt, signal: string) => {
    const c = candidates.find((x) => x.virt === virt);
    if (c) c.signals.push(signal);
    else candidates.push({ virt, signals: [signal] });
  };

  // CPUID
  const sigs = 'missing' in cpuid ? [] : signaturesOf(cpuid);
  const known: { leaf: number; signature: string; virt: Virt }[] = [];
  if ('missing' in cpuid) {
    evidence.push({ signal: 'cpuid', value: cpuid.missing, says: 'no CPUID reading; deciding from the other signals' });
  } else {
    evidence.push({
      signal: 'cpuid leaf 1 ecx bit 31',
      value: cpuid.hypervisorBit ? '1' : '0',
      says: cpuid.hypervisorBit ? 'running under a hypervisor' : 'no hypervisor announced (hypervisor leaves ignored)',
    });
    for (const { leaf, signature } of sigs) {
      const virt = virtFromSignature(signature);
      evidence.push({ signal: `cpuid ${hex(leaf)}`, value: signature, says: virt ? `virt ${virt}` : 'unknown hypervisor signature' });
      if (virt) {
        known.push({ leaf, signature, virt });
        vote(virt, `cpuid ${hex(leaf)}`);
      }
    }
    if (cpuid.hypervisorBit && sigs.length === 0)
      evidence.push({ signal: 'cpuid 0x40000000..0x40010000', value: '(no signature)', says: 'hypervisor hides its signature' });
  }

  // /proc/cpuinfo
  const tcgModel = s.cpuinfo?.modelName != null && /QEMU TCG CPU/.test(s.cpuinfo.modelName);
  if (s.cpuinfo) {
    evidence.push({
      signal: '/proc/cpuinfo model name',
      value: s.cpuinfo.modelName ?? '(none)',
      says: tcgModel ? 'virt qemu-tcg (QEMU names its TCG CPU model)' : 'no hypervisor named',
    });
    if (tcgModel) vote('qemu-tcg', '/proc/cpuinfo model name');
    const hv = s.cpuinfo.flags.includes('hypervisor');
    evidence.push({
      signal: '/proc/cpuinfo flags',
      value: ['hypervisor', 'vmx', 'svm'].filter((f) => s.cpuinfo!.flags.includes(f)).join(' ') || '(none of hypervisor vmx svm)',
      says: hv ? 'running under a hypervisor' : 'no hypervisor flag',
    });
  } else {
    evidence.push({ signal: '/proc/cpuinfo', value: '(unreadable)', says: 'no CPU flags' });
  }

  // DMI
  let dmiOutranking: { virt: Virt; signal: string } | null = null;
  let dmiPlain: { virt: Virt; signal: string; acceleratorUnknown: boolean } | null = null;
  if (Object.keys(s.dmi).length === 0) evidence.push({ signal: '/sys/class/dmi/id', value: '(absent)', says: 'no DMI (common in microVMs and containers)' });
  for (const field of DMI_FIELDS) {
    const value = s.dmi[field];
    if (value == null) continue;
    const m = virtFromDmi(field, value, s.dmi);
    const signal = `dmi ${field}`;
    evidence.push({ signal, value, says: m ? (m.acceleratorUnknown ? 'a QEMU machine (TCG or KVM)' : `virt ${m.virt}`) : 'no hypervisor vendor' });
    if (!m) continue;
    if (!m.acceleratorUnknown) vote(m.virt, signal);
    if (m.outranksCpuid && !dmiOutranking) dmiOutranking = { virt: m.virt, signal };
    if (!dmiPlain) dmiPlain = { virt: m.virt, signal, acceleratorUnknown: !!m.acceleratorUnknown };
  }

  // Kernel log
  let kernel: { virt: Virt; name: string } | null = null;
  if ('unreadable' in s.kernelHypervisor) {
    evidence.push({ signal: 'kernel log', value: s.kernelHypervisor.unreadable, says: 'no kernel hypervisor line' });
  } else if (s.kernelHypervisor.names.length === 0) {
    evidence.push({
      signal: `${s.kernelHypervisor.source} "Hypervisor detected:"`,
      value: '(no such line)',
      says: 'the kernel bound to no hypervisor interface',
    });
  } else {
    for (const name of s.kernelHypervisor.names) {
      const virt = virtFromKernelName(name);
      evidence.push({ signal: `${s.kernelHypervisor.source} "Hypervisor detected:"`, value: name, says: `virt ${virt}` });
      vote(virt, 'kernel log');
      kernel ??= { virt, name };
    }
  }

  // Clocksource: kvm-clock is KVM's paravirt clock; TCG guests never have it.
  let clockVirt: Virt | null = null;
  if (s.clocksource) {
    const a = s.clocksource.available;
    clockVirt = a.includes('kvm-clock') ? 'kvm' : a.some((c) => c.startsWith('hyperv_clocksource')) ? 'hyperv' : a.includes('xen') ? 'xen' : null;
    evidence.push({
      signal: 'clocksource available (current)',
      value: `${a.join(' ')} (${s.clocksource.current ?? '?'})`,
      says:
        clockVirt === 'kvm'
          ? "KVM's paravirt clock (KVM or a hypervisor offering its interface): not TCG"
          : clockVirt
            ? `virt ${clockVirt}`
            : 'no paravirt clock',
    });
    if (clockVirt) vote(clockVirt, 'clocksource');
  }

  // Xen and device-tree markers
  if (s.sysHypervisorType) {
    evidence.push({ signal: '/sys/hypervisor/type', value: s.sysHypervisorType, says: s.sysHypervisorType === 'xen' ? 'virt xen' : 'virt vm-other' });
    vote(s.sysHypervisorType === 'xen' ? 'xen' : 'vm-other', '/sys/hypervisor/type');
  }
  if (s.procXen) {
    evidence.push({ signal: '/proc/xen', value: 'present', says: 'virt xen' });
    vote('xen', '/proc/xen');
  }
  let dtVirt: Virt | null = null;
  if (s.deviceTreeHypervisor) {
    dtVirt = s.deviceTreeHypervisor.includes('linux,kvm') ? 'kvm' : s.deviceTreeHypervisor.includes('xen') ? 'xen' : 'vm-other';
    evidence.push({ signal: '/proc/device-tree/hypervisor/compatible', value: s.deviceTreeHypervisor, says: `virt ${dtVirt}` });
    vote(dtVirt, 'device tree');
  }

  let systemdVirt: Virt | null = null;
  if ('unavailable' in s.systemdDetectVirt) {
    evidence.push({ signal: 'systemd-detect-virt --vm', value: s.systemdDetectVirt.unavailable, says: 'no answer' });
  } else if (s.systemdDetectVirt.vm) {
    systemdVirt = virtFromSystemd(s.systemdDetectVirt.vm);
    evidence.push({ signal: 'systemd-detect-virt --vm', value: s.systemdDetectVirt.vm, says: `virt ${systemdVirt} (it reads CPUID 0x40000000 and DMI only)` });
    if (systemdVirt !== 'none') vote(systemdVirt, 'systemd-detect-virt');
  }

  // Decision
  const cpuidVirts = new Set(known.map((k) => k.virt));
  const nonHv = known.filter((k) => k.virt !== 'hyperv');
  const cpuidPick = known.find((k) => !(k.virt === 'hyperv' && nonHv.some((o) => o.leaf > k.leaf))) ?? null;
  let virt: Virt;
  let rule: string;
  if (dmiOutranking) {
    virt = dmiOutranking.virt;
    rule = `${dmiOutranking.signal} names ${virt}, which presents other hypervisors' CPUID interfaces: DMI outranks CPUID`;
  } else if (kernel && !cpuidVirts.has(kernel.virt) && known.length > 0) {
    virt = kernel.virt;
    rule = `the kernel bound to '${kernel.name}', which no CPUID signature names (CPUID says ${known.map((k) => `'${k.signature}'`).join(', ')}): the kernel's own detection outranks the signature it does not use`;
  } else if (cpuidPick) {
    virt = cpuidPick.virt;
    const hv = known.find((k) => k.virt === 'hyperv' && k !== cpuidPick);
    rule = hv
      ? `'${hv.signature}' at ${hex(hv.leaf)} followed by '${cpuidPick.signature}' at ${hex(cpuidPick.leaf)}: Hyper-V enlightenments offered by ${virt}`
      : `CPUID ${hex(cpuidPick.leaf)} signature '${cpuidPick.signature}'`;
  } else if (tcgModel) {
    virt = 'qemu-tcg';
    rule = 'model name QEMU TCG CPU';
  } else if (kernel) {
    virt = kernel.virt;
    rule = `kernel line 'Hypervisor detected: ${kernel.name}'`;
  } else if (s.sysHypervisorType || s.procXen) {
    virt = s.sysHypervisorType && s.sysHypervisorType !== 'xen' ? 'vm-other' : 'xen';
    rule = s.sysHypervisorType ? `/sys/hypervisor/type says ${s.sysHypervisorType}` : '/proc/xen exists';
  } else if (dtVirt) {
    virt = dtVirt;
    rule = 'device tree hypervisor node';
  } else if (dmiPlain) {
    virt = dmiPlain.acceleratorUnknown ? (clockVirt === 'kvm' ? 'kvm' : 'vm-other') : dmiPlain.virt;
    rule = dmiPlain.acceleratorUnknown
      ? `${dmiPlain.signal}: a QEMU machine; ${clockVirt === 'kvm' ? 'kvm-clock says KVM' : 'accelerator unknown'}`
      : `${dmiPlain.signal}`;
  } else if (clockVirt) {
    virt = clockVirt;
    rule = 'paravirt clocksource';
  } else if (systemdVirt && systemdVirt !== 'none') {
    virt = systemdVirt;
    rule = 'systemd-detect-virt';
  } else if (s.cpuinfo?.flags.includes('hypervisor') || ('hypervisorBit' in cpuid && cpuid.hypervisorBit)) {
    virt = 'vm-other';
    rule = 'hypervisor flag set but no signal names the hypervisor';
  } else {
    virt = 'none';
    rule = 'no signal shows a hypervisor';
  }
  evidence.push({ signal: 'rule', value: rule, says: `virt ${virt}` });

  candidates.sort((a, b) => (a.virt === virt ? -1 : b.virt === virt ? 1 : 0));
  return { virt, cpuidSignatures: sigs.map((x) => x.signature), candidates, evidence };
}
