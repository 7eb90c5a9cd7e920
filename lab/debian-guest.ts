// Boots a real Debian 12 guest (lab/debian-image.ts) with systemd as PID 1 on its own ext4
// root disk: the lab's kernel, and the lab's cached initramfs (busybox + virtio/ext4 modules)
// with its /init replaced by one that mounts /dev/vda and switch_roots into /sbin/init.
// The guest runs until it powers itself off (or the caller cuts its power by QEMU's pid);
// the disk image is the guest's state and survives for the next boot until `dispose()`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from './cleanup.js';
import { writeCpio } from './cpio.js';
import { buildDebianDisk, ensureDebianRoot, type GuestFile } from './debian-image.js';
import { defaultCacheDir } from './guest.js';
import { ensureBaseInitramfs, INIT_PREAMBLE } from './initramfs.js';
import { ensureKernel, type LabKernel } from './kernel.js';
import { qemuArgs, type Accel } from './qemu-args.js';

/** /init of the real-root guest: modules, mount the root disk, hand over to systemd. */
export const SWITCH_ROOT_INIT = `#!/bin/busybox sh
${INIT_PREAMBLE}for m in $(cat /lab/modules.order); do insmod "/lib/modules/$m" || echo "vo-init: insmod $m failed" > /dev/console; done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || { echo "vo-init: cannot mount /dev/vda" > /dev/console; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
`;

export interface DebianGuestOptions {
  accel: Accel;
  vcpus: number;
  memoryMiB: number;
  diskMiB: number;
  hostname: string;
  /** Files added to the image (the agent bundle, installer, a first-boot unit, ...). */
  files: GuestFile[];
  /** Units to enable in multi-user.target (besides systemd-networkd). */
  enable?: string[];
  /** Host loopback port of the collector, reached in the guest as 10.0.2.100:50051. */
  collectorPort?: number;
  qemuBinary?: string;
  cacheDir?: string;
  kernel?: LabKernel;
  log?: (line: string) => void;
}

export interface BootResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  console: string;
  durationMs: number;
}

export interface DebianGuest {
  image: string;
  /** One boot, until the guest powers off, `timeoutMs` passes (then killed) or `cut()` is called. */
  boot(o: { timeoutMs: number; onConsole?: (line: string) => void }): { pid: Promise<number>; done: Promise<BootResult>; cut: () => void };
  dispose(): void;
}

export function createDebianGuest(o: DebianGuestOptions): DebianGuest {
  const log = o.log ?? (() => {});
  const cacheDir = o.cacheDir ?? defaultCacheDir();
  const kernel = o.kernel ?? ensureKernel({ cacheDir, log });
  const root = ensureDebianRoot({ cacheDir, log });
  const tmp = mkdtempSync(join(tmpdir(), 'virt-overhead-debian-'));
  const reg = register(tmp);
  const image = join(tmp, 'root.img');
  const t0 = Date.now();
  buildDebianDisk({ root, staging: join(tmp, 'staging'), image, sizeMiB: o.diskMiB, hostname: o.hostname, files: o.files, enable: o.enable });
  log(`lab: Debian guest disk ${image} (${o.diskMiB} MiB) made in ${Math.round((Date.now() - t0) / 1000)} s`);
  const initrd = join(tmp, 'initrd.cpio');
  writeFileSync(
    initrd,
    Buffer.concat([readFileSync(ensureBaseInitramfs({ kernel, cacheDir })), writeCpio([{ name: 'init', kind: 'file', perm: 0o755, data: SWITCH_ROOT_INIT }])]),
  );
  const args = [
    ...qemuArgs({
      accel: o.accel,
      vcpus: o.vcpus,
      memoryMiB: o.memoryMiB,
      vmlinux: kernel.vmlinux,
      initrd,
      scratchImage: image,
      collectorPort: o.collectorPort,
      hostRoot: null,
    }),
  ];
  return {
    image,
    boot({ timeoutMs, onConsole }) {
      const bin = o.qemuBinary ?? 'qemu-system-x86_64';
      log(`lab: ${bin} ${args.join(' ')}`);
      const started = Date.now();
      const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      if (child.pid) reg.setPid(child.pid);
      const kill = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(kill, timeoutMs);
      let text = '';
      let partial = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        text = (text + chunk).slice(-4_000_000);
        const lines = (partial + chunk).replace(/\r/g, '').split('\n');
        partial = lines.pop()!;
        for (const l of lines) onConsole?.(l);
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => (text += `[qemu] ${chunk}`));
      const done = new Promise<BootResult>((resolve) =>
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, console: text, durationMs: Date.now() - started });
        }),
      );
      const pid = new Promise<number>((resolve, reject) => {
        if (child.pid) resolve(child.pid);
        else child.once('error', reject);
      });
      return { pid, done, cut: kill };
    },
    dispose() {
      reg.release();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
