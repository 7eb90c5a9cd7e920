// The QEMU command line of a lab guest, as a pure function so both accelerators' lines can
// be unit-tested on machines without KVM.

export type Accel = 'tcg' | 'kvm';

/** Where the guest reaches the collector (QEMU user networking's guest forward). */
export const GUEST_COLLECTOR_IP = '10.0.2.100';
export const GUEST_COLLECTOR_PORT = 50051;
/** Mount point of the scratch disk inside the guest (the agent's --workdir there). */
export const GUEST_SCRATCH_DIR = '/mnt/scratch';

export interface QemuArgsOptions {
  accel: Accel;
  vcpus: number;
  memoryMiB: number;
  vmlinux: string;
  initrd: string;
  /** Raw ext4 image for the agent's work dir (virtio-blk), or none. */
  scratchImage?: string;
  /** Host loopback port of the collector; the guest's only network path. */
  collectorPort?: number;
  /** Where the forward relays to (default this machine's loopback; a nested L2 relays to its L1's forward, 10.0.2.100). */
  collectorHost?: string;
  /** Host directory exported read-only as the guest's lower root; null: none (a guest with its own root disk). */
  hostRoot?: string | null;
  /** Extra kernel command-line words. */
  append?: string[];
}

/** QEMU option values use ',' as a separator; a literal comma is written ',,'. */
export function qemuEscape(value: string): string {
  return value.replace(/,/g, ',,');
}

export function kernelCommandLine(extra: string[] = []): string {
  // panic=-1 + -no-reboot: a kernel panic ends QEMU at once instead of hanging until the timeout.
  return ['console=ttyS0', 'panic=-1', 'loglevel=4', 'rdinit=/init', ...extra].join(' ');
}

export function qemuArgs(o: QemuArgsOptions): string[] {
  if (!Number.isInteger(o.vcpus) || o.vcpus < 1) throw new Error(`lab: vcpus must be a positive integer, not ${o.vcpus}`);
  if (!Number.isInteger(o.memoryMiB) || o.memoryMiB < 256) throw new Error(`lab: a guest needs at least 256 MiB of memory, not ${o.memoryMiB}`);
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-machine',
    'pc',
    // KVM runs the host's CPU model; TCG emulates the richest model it has.
    '-accel',
    o.accel,
    '-cpu',
    o.accel === 'kvm' ? 'host' : 'max',
    '-smp',
    String(o.vcpus),
    '-m',
    String(o.memoryMiB),
    '-display',
    'none',
    '-serial',
    'stdio',
    '-no-reboot',
    '-kernel',
    o.vmlinux,
    '-initrd',
    o.initrd,
    '-append',
    kernelCommandLine(o.append),
  ];
  if (o.hostRoot !== null) {
    args.push(
      '-fsdev',
      `local,id=root,path=${qemuEscape(o.hostRoot ?? '/')},security_model=none,readonly=on,multidevs=remap`,
      '-device',
      'virtio-9p-pci,fsdev=root,mount_tag=hostroot',
    );
  }
  if (o.scratchImage) {
    args.push('-drive', `file=${qemuEscape(o.scratchImage)},format=raw,if=none,id=scratch,aio=threads`, '-device', 'virtio-blk-pci,drive=scratch');
  }
  if (o.collectorPort !== undefined) {
    if (!Number.isInteger(o.collectorPort) || o.collectorPort < 1 || o.collectorPort > 65535)
      throw new Error(`lab: collector port ${o.collectorPort} is not a TCP port`);
    // restrict=on: the guest can reach nothing but this one forward, which relays to the host's loopback.
    args.push(
      '-netdev',
      `user,id=n0,restrict=on,guestfwd=tcp:${GUEST_COLLECTOR_IP}:${GUEST_COLLECTOR_PORT}-cmd:/bin/busybox nc ${o.collectorHost ?? '127.0.0.1'} ${o.collectorPort}`,
      '-device',
      'virtio-net-pci,netdev=n0',
    );
  }
  return args;
}
