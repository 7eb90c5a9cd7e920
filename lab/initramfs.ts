// The guest's initramfs: busybox-static, the handful of kernel modules a 9p-root guest
// needs (loaded in dependency order, because busybox insmod does not resolve them), and an
// /init that mounts this machine's / read-only over virtio-9p with a RAM overlay on top,
// mounts the scratch disk, brings up eth0, chroots, runs ONE command and powers off.
// The big part (busybox + modules) is cached; each run appends a tiny second archive with
// its command (the kernel unpacks concatenated cpio archives in order).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCpio, type CpioEntry } from './cpio.js';
import type { LabKernel } from './kernel.js';
import { GUEST_SCRATCH_DIR } from './qemu-args.js';

/** Modules the guest needs, roots only: their dependencies come from modules.dep. */
export const WANTED_MODULES = [
  'virtio_pci',
  '9pnet_virtio',
  '9p',
  'overlay',
  'virtio_blk',
  // ext4 and jbd2 ask for crc32c through the crypto API at mount time (a soft dependency).
  'crc32c_generic',
  'ext4',
  'virtio_net',
] as const;

/** Files a container runtime leaves at the root; whited out so the guest does not look like a container. */
export const HIDDEN_HOST_FILES = ['.dockerenv', 'run/.containerenv'];

/**
 * Load order for `wanted` from a modules.dep text: each module's dependencies (listed there
 * so that the LAST must load first) before the module itself, each module once.
 */
export function moduleLoadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    deps.set(
      path,
      line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    );
    byName.set(moduleName(path), path);
  }
  const order: string[] = [];
  const seen = new Set<string>();
  for (const name of wanted) {
    const path = byName.get(name);
    if (!path) throw new Error(`kernel module '${name}' is not in modules.dep (is it built in, or the wrong kernel?)`);
    for (const dep of [...deps.get(path)!].reverse()) {
      if (!seen.has(dep)) {
        seen.add(dep);
        order.push(dep);
      }
    }
    if (!seen.has(path)) {
      seen.add(path);
      order.push(path);
    }
  }
  return order;
}

/** 'kernel/fs/9p/9p.ko' -> '9p' (modules.dep spells names with '-' or '_' as the file does). */
export function moduleName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.ko(\.(xz|zst|gz))?$/, '');
}

const SIG_MAGIC = Buffer.from('~Module signature appended~\n', 'latin1');

/**
 * Drops the appended module signature (struct module_signature is 12 bytes, its last
 * 4 a big-endian sig_len, followed by the magic). Unsigned modules load on a kernel
 * without module.sig_enforce; checking signatures costs ~0.1 s per module under TCG.
 */
export function stripModuleSignature(ko: Buffer): Buffer {
  if (ko.length < SIG_MAGIC.length + 12 || !ko.subarray(ko.length - SIG_MAGIC.length).equals(SIG_MAGIC)) return ko;
  const infoEnd = ko.length - SIG_MAGIC.length;
  const sigLen = ko.readUInt32BE(infoEnd - 4);
  const end = infoEnd - 12 - sigLen;
  if (end <= 0) throw new Error('module signature trailer is larger than the module');
  return ko.subarray(0, end);
}

/** How every lab /init starts: busybox's applets on PATH, /proc, /sys and /dev mounted. */
export const INIT_PREAMBLE = `/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
`;

/** The /init script. Config comes from /lab/config (sourced), the command from /lab/command. */
export function initScript(): string {
  return `#!/bin/busybox sh
# virt-overhead lab guest init: one command, then power off.
${INIT_PREAMBLE}. /lab/config
say() { echo "lab-init: $*" > /dev/console; }
finish() {
  echo "LAB_EXIT $LAB_NONCE $1" > /dev/console
  sync
  poweroff -f
  sleep 5
}
for m in $(cat /lab/modules.order); do
  insmod "/lib/modules/$m" || { say "insmod $m failed"; finish 250; }
done
mkdir -p /mnt/host /mnt/rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /mnt/host || { say "cannot mount the host root over 9p"; finish 251; }
mount -t tmpfs -o size=\${LAB_OVERLAY_SIZE:-50%},mode=0755 overlay-rw /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
for f in ${HIDDEN_HOST_FILES.join(' ')}; do
  mkdir -p "/mnt/rw/upper/$(dirname "$f")"
  mknod "/mnt/rw/upper/$f" c 0 0   # an overlay whiteout: the file is gone in the guest
done
mount -t overlay overlay -o lowerdir=/mnt/host,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work /newroot || { say "cannot mount the overlay"; finish 252; }
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/run /newroot/tmp
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs tmpfs /newroot/run
if [ -e /sys/firmware/efi/efivars ]; then mount -t efivarfs efivarfs /newroot/sys/firmware/efi/efivars; fi
if [ -b /dev/vda ]; then
  mkdir -p /newroot${GUEST_SCRATCH_DIR}
  mount -t ext4 /dev/vda /newroot${GUEST_SCRATCH_DIR} || { say "cannot mount the scratch disk"; finish 253; }
fi
hostname "$LAB_HOSTNAME"
echo "$LAB_HOSTNAME" > /newroot/etc/hostname
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
  ip addr add 10.0.2.15/24 dev eth0
  ip link set eth0 up
  ip route add default via 10.0.2.2
fi
mkdir -p /newroot/run/lab
cp /lab/command /newroot/run/lab/command
echo "LAB_START $LAB_NONCE" > /dev/console
chroot /newroot /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8 /bin/sh -c 'cd /root 2>/dev/null || cd /; exec /bin/sh /run/lab/command' < /dev/console > /dev/console 2>&1
finish $?
`;
}

export interface BaseInitramfsOptions {
  kernel: LabKernel;
  cacheDir: string;
  busybox?: string;
}

/** Builds (once) the cached archive with busybox, modules and /init; returns its path. */
export function ensureBaseInitramfs(opts: BaseInitramfsOptions): string {
  const busybox = opts.busybox ?? '/bin/busybox';
  if (!existsSync(busybox)) throw new Error(`busybox not found at ${busybox}: install the Debian package 'busybox-static'`);
  const bb = readFileSync(busybox);
  if (!isStaticElf(bb))
    throw new Error(`${busybox} is not a statically linked busybox: install 'busybox-static' (the dynamic one cannot run before the 9p root is mounted)`);
  const modulesDep = readFileSync(join(opts.kernel.modulesDir, 'modules.dep'), 'utf8');
  const order = moduleLoadOrder(modulesDep, WANTED_MODULES);
  const init = initScript();
  const key = createHash('sha256').update(opts.kernel.version).update(init).update(order.join('\n')).update(bb).digest('hex').slice(0, 16);
  const out = join(opts.cacheDir, `initramfs-${opts.kernel.version}-${key}.cpio`);
  if (existsSync(out) && statSync(out).size > 0) return out;

  const entries: CpioEntry[] = [];
  for (const d of ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'mnt', 'lab', 'lib', 'lib/modules', 'tmp'])
    entries.push({ name: d, kind: 'dir', perm: 0o755 });
  entries.push({ name: 'bin/busybox', kind: 'file', perm: 0o755, data: bb });
  entries.push({ name: 'init', kind: 'file', perm: 0o755, data: init });
  const flat: string[] = [];
  for (const rel of order) {
    const file = moduleName(rel) + '.ko';
    entries.push({ name: `lib/modules/${file}`, kind: 'file', perm: 0o644, data: stripModuleSignature(readFileSync(join(opts.kernel.modulesDir, rel))) });
    flat.push(file);
  }
  entries.push({ name: 'lab/modules.order', kind: 'file', perm: 0o644, data: flat.join('\n') + '\n' });
  mkdirSync(opts.cacheDir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, writeCpio(entries));
  renameSync(tmp, out);
  // Archives from an older /init or busybox are dead weight now (a guest still booting has its own copy).
  const prefix = `initramfs-${opts.kernel.version}-`;
  for (const f of readdirSync(opts.cacheDir)) {
    if (f.startsWith(prefix) && f.endsWith('.cpio') && join(opts.cacheDir, f) !== out) rmSync(join(opts.cacheDir, f), { force: true });
  }
  return out;
}

function isStaticElf(bin: Buffer): boolean {
  if (bin.toString('latin1', 0, 4) !== '\x7fELF' || bin[4] !== 2) return false;
  // A dynamic executable has a PT_INTERP program header (type 3).
  const phoff = Number(bin.readBigUInt64LE(0x20));
  const phentsize = bin.readUInt16LE(0x36);
  const phnum = bin.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (bin.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

export interface RunArchiveOptions {
  /** Shell text run by /bin/sh inside the chroot. */
  command: string;
  /** Printed with the exit marker; a per-run random word so guest output cannot fake it. */
  nonce: string;
  hostname: string;
  /** NAME=VALUE pairs for the command's environment. */
  env?: Record<string, string>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The small per-run archive: /lab/config and /lab/command. */
export function runArchive(opts: RunArchiveOptions): Buffer {
  if (!/^[A-Za-z0-9]+$/.test(opts.nonce)) throw new Error('lab: the exit-marker nonce must be alphanumeric');
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(opts.hostname))
    throw new Error(`lab: '${opts.hostname}' is not a valid guest hostname (letters, digits, '.', '-', at most 63)`);
  const exports = Object.entries(opts.env ?? {}).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`lab: '${k}' is not a valid environment variable name`);
    return `export ${k}=${shellQuote(v)}\n`;
  });
  const config = [`LAB_NONCE=${opts.nonce}`, `LAB_HOSTNAME=${opts.hostname}`].join('\n') + '\n';
  const command = exports.join('') + (opts.command.endsWith('\n') ? opts.command : opts.command + '\n');
  return writeCpio([
    { name: 'lab', kind: 'dir', perm: 0o755 },
    { name: 'lab/config', kind: 'file', perm: 0o644, data: config },
    { name: 'lab/command', kind: 'file', perm: 0o644, data: command },
  ]);
}
