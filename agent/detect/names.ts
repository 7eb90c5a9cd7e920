// What each hypervisor or container calls itself in the places we look. Sources: systemd's
// src/basic/virt.c tables, virt-what, the Linux kernel's arch/x86/kernel/cpu/hypervisor.c.
import type { Container, Virt } from './types.js';

/** CPUID leaf 0x400000xx vendor signatures (EBX,ECX,EDX, trailing NULs removed). */
const CPUID_SIGNATURES: [string, Virt][] = [
  ['KVMKVMKVM', 'kvm'],
  ['Linux KVM Hv', 'kvm'], // KVM's own Hyper-V emulation signature
  ['TCGTCGTCGTCG', 'qemu-tcg'],
  ['VMwareVMware', 'vmware'],
  ['Microsoft Hv', 'hyperv'],
  ['XenVMMXenVMM', 'xen'],
  ['VBoxVBoxVBox', 'virtualbox'],
  ['bhyve bhyve', 'bhyve'],
  ['prl hyperv', 'parallels'],
  [' lrpepyh  vr', 'parallels'], // older Parallels, byte-swapped
  ['ACRNACRNACRN', 'vm-other'],
  ['QNXQVMBSQG', 'vm-other'],
  ['Apple VZ', 'vm-other'],
  ['SRESRESRESRE', 'vm-other'],
];

export function virtFromSignature(signature: string): Virt | null {
  const s = signature.trim();
  for (const [sig, virt] of CPUID_SIGNATURES) if (s === sig.trim()) return virt;
  return null;
}

/** The name after the kernel's `Hypervisor detected: ` (x86 hypervisor.c and PVM's patch set). */
export function virtFromKernelName(name: string): Virt {
  const n = name.trim().toLowerCase();
  if (n === 'kvm') return 'kvm';
  if (n.startsWith('microsoft hyper-v') || n === 'hyper-v') return 'hyperv';
  if (n === 'vmware') return 'vmware';
  if (n.startsWith('xen')) return 'xen';
  if (n === 'pvm') return 'pvm';
  if (n === 'bhyve') return 'bhyve';
  return 'vm-other';
}

export interface DmiMatch {
  virt: Virt;
  /** Vendors that present another hypervisor's CPUID interface (VirtualBox and Parallels offer
   * KVM's or Hyper-V's; Xen may cloak as Hyper-V): their DMI strings outrank CPUID, as in systemd. */
  outranksCpuid: boolean;
  /** QEMU DMI names the machine, not the accelerator (TCG or KVM). */
  acceleratorUnknown?: boolean;
}

const DMI_PREFIXES: [string, DmiMatch][] = [
  ['KVM', { virt: 'kvm', outranksCpuid: false }],
  ['OpenStack', { virt: 'kvm', outranksCpuid: false }],
  ['KubeVirt', { virt: 'kvm', outranksCpuid: false }],
  ['Amazon EC2', { virt: 'kvm', outranksCpuid: false }],
  ['Google', { virt: 'kvm', outranksCpuid: false }],
  ['Firecracker', { virt: 'firecracker', outranksCpuid: false }],
  ['QEMU', { virt: 'vm-other', outranksCpuid: false, acceleratorUnknown: true }],
  ['Bochs', { virt: 'vm-other', outranksCpuid: false, acceleratorUnknown: true }],
  ['VMware', { virt: 'vmware', outranksCpuid: false }],
  ['VMW', { virt: 'vmware', outranksCpuid: false }],
  ['innotek GmbH', { virt: 'virtualbox', outranksCpuid: true }],
  ['VirtualBox', { virt: 'virtualbox', outranksCpuid: true }],
  ['Oracle Corporation', { virt: 'virtualbox', outranksCpuid: true }],
  ['Xen', { virt: 'xen', outranksCpuid: true }],
  ['HVM domU', { virt: 'xen', outranksCpuid: true }],
  ['Parallels', { virt: 'parallels', outranksCpuid: true }],
  ['BHYVE', { virt: 'bhyve', outranksCpuid: false }],
  ['Hyper-V', { virt: 'hyperv', outranksCpuid: false }],
];

/** DMI value by prefix; Microsoft's "Virtual Machine" product needs the vendor to mean Hyper-V. */
export function virtFromDmi(field: string, value: string, all: Record<string, string>): DmiMatch | null {
  for (const [prefix, match] of DMI_PREFIXES) if (value.startsWith(prefix)) return match;
  if (field === 'sys_vendor' && value === 'Microsoft Corporation' && all.product_name === 'Virtual Machine') return { virt: 'hyperv', outranksCpuid: false };
  return null;
}

/** systemd-detect-virt --vm names. */
export function virtFromSystemd(name: string): Virt {
  const map: Record<string, Virt> = {
    kvm: 'kvm',
    amazon: 'kvm',
    google: 'kvm',
    qemu: 'vm-other',
    vmware: 'vmware',
    microsoft: 'hyperv',
    oracle: 'virtualbox',
    xen: 'xen',
    bhyve: 'bhyve',
    parallels: 'parallels',
    none: 'none',
  };
  return map[name.trim()] ?? 'vm-other';
}

/** `$container`, /run/systemd/container, systemd-detect-virt --container names. */
export function containerFromName(name: string): Container {
  const n = name.trim().toLowerCase();
  if (n === '' || n === 'none') return 'none';
  if (n === 'docker') return 'docker';
  if (n === 'podman') return 'podman';
  if (n === 'lxc' || n === 'lxc-libvirt') return 'lxc';
  if (n === 'wsl') return 'wsl';
  return 'container-other';
}
