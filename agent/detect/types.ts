// The answer of `virt-overhead detect`: what we run on, and the signals that decided it.

export const VIRT_VALUES = [
  'none',
  'kvm',
  'qemu-tcg',
  'vmware',
  'hyperv',
  'xen',
  'virtualbox',
  'bhyve',
  'pvm',
  'firecracker',
  'parallels',
  'vm-other',
] as const;
export type Virt = (typeof VIRT_VALUES)[number];

export const CONTAINER_VALUES = ['none', 'docker', 'podman', 'lxc', 'wsl', 'container-other'] as const;
export type Container = (typeof CONTAINER_VALUES)[number];

export type KvmVerdict = 'usable' | 'unusable' | 'absent' | 'unknown';

/** How far KVM was shown to work, lowest to highest. `usable` needs `guest-ran`. */
export const KVM_LEVELS = ['none', 'device', 'openable', 'vm-created', 'vcpu-ran', 'guest-ran'] as const;
export type KvmLevel = (typeof KVM_LEVELS)[number];

export interface Evidence {
  /** Where the reading came from, e.g. `cpuid 0x40000000`, `/proc/cpuinfo flags`, `dmesg`. */
  signal: string;
  value: string;
  /** What this reading says on its own, e.g. `virt kvm`, `container docker`, `kvm device absent`. */
  says: string;
}

export interface KvmReport {
  device: boolean;
  /** null when it could not be tried (fixture root without a recorded probe). */
  openable: boolean | null;
  verdict: KvmVerdict;
  reason: string;
  level: KvmLevel;
  /** The kernel module serving KVM (kvm_intel, kvm_amd, kvm_pvm; several joined by '+'), null when none is seen. */
  provider: string | null;
  steps: {
    api_version: number | null;
    vm_created: boolean | null;
    vcpu_created: boolean | null;
    vcpu_ran: boolean | null;
    guest_ran: boolean | null;
  };
}

export interface NestedReport {
  /** Layers of virtualization seen from inside: 0 bare metal, 1 a VM. Deeper layers are invisible to a guest. */
  min_depth: number;
  /** vmx or svm in /proc/cpuinfo: this machine's CPU offers hardware virtualization to its own guests. */
  hardware_virt_flag: 'vmx' | 'svm' | null;
  /** Nesting as declared in config (declared.nesting), never inferred. */
  declared: string | null;
}

export interface Detection {
  virt: Virt;
  container: Container;
  cpuid_signatures: string[];
  kvm: KvmReport;
  nested: NestedReport;
  declared: Record<string, string>;
  /** Every VM-layer answer a signal gave, with the signals behind it (the chosen one first). */
  virt_candidates: { virt: Virt; signals: string[] }[];
  evidence: Evidence[];
}
