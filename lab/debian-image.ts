// A real Debian guest root for the lab (Debian 12 bookworm, or 11 bullseye: the agent file and
// the cloud-init sample on an older glibc, systemd and cloud-init): built once with mmdebstrap
// from the Debian archive (minbase + systemd as PID 1, udev, sysbench, cloud-init; no Node.js)
// and cached beside the kernel, like it. The kernel is the lab's (Debian 12's) for every release.
// A disk is the root plus a few files packed into a raw ext4 image with `mke2fs -d` (no loop
// device, no root-only mount), so the cache is never changed by a guest.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface DebianRelease {
  /** The archive's suite name. */
  suite: 'bookworm' | 'bullseye';
  /** Its number, for names and log lines. */
  version: string;
  /** The cache entry's name: bump its v when the package list changes. */
  rootName: string;
  /** Where systemd lives (bullseye's root is not merged-/usr). */
  systemd: string;
}

export const DEBIAN_RELEASES = {
  bookworm: { suite: 'bookworm', version: '12', rootName: 'debian-12-guest-v2', systemd: '/usr/lib/systemd/systemd' },
  bullseye: { suite: 'bullseye', version: '11', rootName: 'debian-11-guest-v1', systemd: '/lib/systemd/systemd' },
} as const satisfies Record<string, DebianRelease>;

export const DEFAULT_DEBIAN_RELEASE: DebianRelease = DEBIAN_RELEASES.bookworm;
// cloud-init: the guest is provisioned by deploy/cloud-init/agent.yaml from a NoCloud seed, as a
// cloud image would be. sysbench is in the image because the guest reaches no archive.
export const DEBIAN_PACKAGES = ['systemd-sysv', 'udev', 'sysbench', 'iproute2', 'procps', 'cloud-init'];

/** The archive apt already uses here (deb822 or one-line sources), else deb.debian.org. */
export function debianMirror(sources = '/etc/apt/sources.list.d/debian.sources'): string {
  try {
    const m = /^URIs:\s*(\S+)/m.exec(readFileSync(sources, 'utf8'));
    if (m && !/security/.test(m[1]!)) return m[1]!;
  } catch {
    // no deb822 file: fall through
  }
  return 'http://deb.debian.org/debian';
}

/** The cached root directory, built with mmdebstrap when missing (about a minute, ~240 MB). */
export function ensureDebianRoot(o: { cacheDir: string; release?: DebianRelease; log?: (l: string) => void }): string {
  const rel = o.release ?? DEFAULT_DEBIAN_RELEASE;
  const name = `Debian ${rel.version} (${rel.suite})`;
  const dir = join(o.cacheDir, rel.rootName);
  const done = `${dir}.complete`;
  if (existsSync(done) && existsSync(join(dir, 'sbin/init'))) {
    o.log?.(`lab: ${name} guest root: cached ${dir}`);
    return dir;
  }
  if (spawnSync('sh', ['-c', 'command -v mmdebstrap']).status !== 0)
    throw new Error(`building the ${name} guest root needs mmdebstrap (scripts/bootstrap.sh --test installs it)`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(o.cacheDir, { recursive: true });
  const mirror = debianMirror();
  o.log?.(`lab: building the ${name} guest root with mmdebstrap from ${mirror} (once; cached in ${dir})`);
  const t0 = Date.now();
  // No Recommends: cloud-init's (sudo, eatmydata, cloud-guest-utils) are not needed in a lab guest.
  const args = ['--variant=minbase', '--aptopt=APT::Install-Recommends "false"', `--include=${DEBIAN_PACKAGES.join(',')}`, rel.suite, tmp, mirror];
  const r = spawnSync('mmdebstrap', args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`mmdebstrap ${rel.suite} failed (${r.status}): ${(r.stderr || '').trim().split('\n').slice(-5).join('\n')}`);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  writeFileSync(done, `${new Date().toISOString()} ${DEBIAN_PACKAGES.join(',')}\n`);
  o.log?.(`lab: ${name} guest root built in ${Math.round((Date.now() - t0) / 1000)} s`);
  return dir;
}

export interface GuestFile {
  /** Absolute path inside the guest. */
  path: string;
  /** Content, or a host file to copy. */
  content?: string | Buffer;
  from?: string;
  mode?: number;
}

/**
 * A raw ext4 disk holding the cached root plus `files`: systemd-networkd with the lab's fixed
 * address (QEMU user networking: guest 10.0.2.15, gateway 10.0.2.2), the hostname, and
 * whatever the caller adds (the agent bundle, the installer, a first-boot unit).
 */
export function buildDebianDisk(o: {
  root: string;
  staging: string;
  image: string;
  sizeMiB: number;
  hostname: string;
  files: GuestFile[];
  enable?: string[];
  /** The target whose wants/ gets `enable` (default multi-user.target). */
  enableIn?: string;
}): void {
  rmSync(o.staging, { recursive: true, force: true });
  // cp -a: device nodes, owners and modes as they are (node's cpSync cannot copy /dev nodes).
  const cp = spawnSync('cp', ['-a', o.root, o.staging], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(`cp -a ${o.root} ${o.staging} failed: ${cp.stderr.trim()}`);
  const put = (f: GuestFile) => {
    const dest = join(o.staging, f.path);
    mkdirSync(dirname(dest), { recursive: true });
    if (f.from) cpSync(f.from, dest);
    else writeFileSync(dest, f.content ?? '');
    chmodSync(dest, f.mode ?? 0o644);
  };
  put({ path: '/etc/hostname', content: `${o.hostname}\n` });
  put({ path: '/etc/hosts', content: `127.0.0.1 localhost\n127.0.1.1 ${o.hostname}\n` });
  put({ path: '/etc/systemd/network/20-lab.network', content: '[Match]\nName=en* eth*\n\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n' });
  // A guest that must not wait for a console login or for clocks it cannot reach.
  put({ path: '/etc/fstab', content: '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' });
  for (const f of o.files) put(f);
  const wanted = [['multi-user.target', 'systemd-networkd.service'], ...(o.enable ?? []).map((u) => [o.enableIn ?? 'multi-user.target', u])];
  for (const [wantedBy, unit] of wanted as [string, string][]) {
    const link = join(o.staging, 'etc/systemd/system', `${wantedBy}.wants`, unit);
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true });
    const target = existsSync(join(o.staging, 'etc/systemd/system', unit)) ? `/etc/systemd/system/${unit}` : `/lib/systemd/system/${unit}`;
    symlinkSync(target, link);
  }
  rmSync(o.image, { force: true });
  const r = spawnSync('mke2fs', ['-q', '-t', 'ext4', '-F', '-L', 'vo-guest-root', '-d', o.staging, o.image, `${o.sizeMiB}M`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mke2fs -d ${o.staging} ${o.image} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  rmSync(o.staging, { recursive: true, force: true });
}
