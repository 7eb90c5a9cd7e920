// Boots a real Debian guest (lab/debian-image.ts: 12 or 11) with systemd as PID 1 on its own ext4
// root disk: the lab's kernel, and the lab's cached initramfs (busybox + virtio/ext4 modules)
// with its /init replaced by one that loads the vfat modules (for a NoCloud seed), mounts
// /dev/vda and switch_roots into /sbin/init.
// One base disk (the cached root plus the files every guest shares) is made once; each guest
// boots a qcow2 overlay on it (copy-on-write: the base is never written), so several guests,
// one after the other or side by side, cost one mke2fs. A guest's own values come from its
// NoCloud seed (lab/nocloud.ts) on a second disk and from kernel command-line words.
// The guest runs until it powers itself off (or the caller cuts its power by QEMU's pid); the
// overlay is the guest's state and survives for the next boot until `dispose()`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from './cleanup.js';
import { writeCpio, type CpioEntry } from './cpio.js';
import { buildDebianDisk, ensureDebianRoot, type DebianRelease, type GuestFile } from './debian-image.js';
import { defaultCacheDir } from './guest.js';
import { ensureBaseInitramfs, INIT_PREAMBLE, moduleLoadOrder, moduleName, stripModuleSignature } from './initramfs.js';
import { ensureKernel, type LabKernel } from './kernel.js';
import { qemuArgs, qemuEscape, type Accel } from './qemu-args.js';

/** Modules for the NoCloud seed's vfat (the kernel's default codepage 437, iocharset ascii, utf8 on). */
export const SEED_MODULES = ['vfat', 'nls_cp437', 'nls_ascii', 'nls_utf8'] as const;

/** /init of the real-root guest: modules, mount the root disk, hand over to systemd. */
export const SWITCH_ROOT_INIT = `#!/bin/busybox sh
${INIT_PREAMBLE}for m in $(cat /lab/modules.order /lab/seed-modules.order); do insmod "/lib/modules/$m" || echo "vo-init: insmod $m failed" > /dev/console; done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || { echo "vo-init: cannot mount /dev/vda" > /dev/console; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
`;

/** The second cpio archive: the switch-root /init and the seed's modules (appended to the base). */
function switchRootArchive(kernel: LabKernel): Buffer {
  const order = moduleLoadOrder(readFileSync(join(kernel.modulesDir, 'modules.dep'), 'utf8'), SEED_MODULES);
  const entries: CpioEntry[] = [{ name: 'init', kind: 'file', perm: 0o755, data: SWITCH_ROOT_INIT }];
  const names = order.map((rel) => {
    const file = moduleName(rel) + '.ko';
    entries.push({ name: `lib/modules/${file}`, kind: 'file', perm: 0o644, data: stripModuleSignature(readFileSync(join(kernel.modulesDir, rel))) });
    return file;
  });
  entries.push({ name: 'lab/seed-modules.order', kind: 'file', perm: 0o644, data: names.join('\n') + '\n' });
  return writeCpio(entries);
}

export interface DebianBaseOptions {
  /** Default bookworm (Debian 12). */
  release?: DebianRelease;
  diskMiB: number;
  hostname: string;
  /** Files every guest of this base has (the release folder, the lab's boot scripts, ...). */
  files: GuestFile[];
  /** Units to enable (besides systemd-networkd). */
  enable?: string[];
  /** Their target (default multi-user.target). */
  enableIn?: string;
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface DebianBase {
  /** The raw ext4 disk; guests boot overlays on it and never write it. */
  image: string;
  dispose(): void;
}

/** The shared base disk: the cached root (mmdebstrap, once) plus `files`. */
export function buildDebianBase(o: DebianBaseOptions): DebianBase {
  const log = o.log ?? (() => {});
  const root = ensureDebianRoot({ cacheDir: o.cacheDir ?? defaultCacheDir(), release: o.release, log });
  const tmp = mkdtempSync(join(tmpdir(), 'virt-overhead-debian-base-'));
  const reg = register(tmp);
  const image = join(tmp, 'base.img');
  const t0 = Date.now();
  try {
    buildDebianDisk({
      root,
      staging: join(tmp, 'staging'),
      image,
      sizeMiB: o.diskMiB,
      hostname: o.hostname,
      files: o.files,
      enable: o.enable,
      enableIn: o.enableIn,
    });
  } catch (err) {
    reg.release();
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  log(`lab: Debian base disk ${image} (${o.diskMiB} MiB) made in ${Math.round((Date.now() - t0) / 1000)} s`);
  return {
    image,
    dispose() {
      reg.release();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export interface DebianGuestOptions {
  accel: Accel;
  vcpus: number;
  memoryMiB: number;
  /** The disk this guest's overlay is made on. */
  base: DebianBase;
  /** A NoCloud seed image (lab/nocloud.ts), attached as the second disk. */
  seed?: string;
  /** Extra kernel command-line words (the lab's scripts read theirs from /proc/cmdline). */
  append?: string[];
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
  const tmp = mkdtempSync(join(tmpdir(), 'virt-overhead-debian-'));
  const reg = register(tmp);
  const image = join(tmp, 'root.qcow2');
  const made = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', o.base.image, image], { encoding: 'utf8' });
  if (made.status !== 0) {
    reg.release();
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(
      `qemu-img create (an overlay on ${o.base.image}) failed: ${(made.stderr || made.error?.message || '').trim()} (qemu-utils: scripts/bootstrap.sh --test)`,
    );
  }
  const initrd = join(tmp, 'initrd.cpio');
  writeFileSync(initrd, Buffer.concat([readFileSync(ensureBaseInitramfs({ kernel, cacheDir })), switchRootArchive(kernel)]));
  const drive = (file: string, format: string, id: string, extra = '') => [
    '-drive',
    `file=${qemuEscape(file)},format=${format},if=none,id=${id},aio=threads${extra}`,
    '-device',
    `virtio-blk-pci,drive=${id}`,
  ];
  const args = [
    ...qemuArgs({
      accel: o.accel,
      vcpus: o.vcpus,
      memoryMiB: o.memoryMiB,
      vmlinux: kernel.vmlinux,
      initrd,
      collectorPort: o.collectorPort,
      hostRoot: null,
      append: o.append,
    }),
    // The root first (vda), then the seed (vdb); read-only: cloud-init only reads it.
    ...drive(image, 'qcow2', 'root'),
    ...(o.seed ? drive(o.seed, 'raw', 'seed', ',readonly=on') : []),
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
