// Unit tests of the lab's pure parts, each checked against an independent reference:
// busybox's own cpio reader, hand-built headers and hand-written modules.dep text.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { writeCpio } from './cpio.js';
import { moduleLoadOrder, runArchive, stripModuleSignature } from './initramfs.js';
import { bzImagePayload, kernelVersionOf, parseMetaPackageDepends, payloadCompression } from './kernel.js';
import { parseConsole } from './guest.js';
import { kernelCommandLine, qemuArgs } from './qemu-args.js';

const tmp = mkdtempSync(join(tmpdir(), 'lab-parts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cpio newc writer', () => {
  test('busybox cpio reads back names, modes, contents and links', () => {
    const archive = writeCpio([
      { name: 'd', kind: 'dir', perm: 0o750 },
      { name: 'd/odd.txt', kind: 'file', perm: 0o640, data: 'abc' }, // 3 bytes: needs padding
      { name: 'd/empty', kind: 'file', perm: 0o600, data: '' },
      { name: 'link', kind: 'symlink', perm: 0o777, data: 'd/odd.txt' },
      { name: 'run.sh', kind: 'file', perm: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
    ]);
    const file = join(tmp, 'a.cpio');
    writeFileSync(file, archive);
    const listing = execFileSync('busybox', ['cpio', '-t', '-F', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(listing.trim().split('\n')).toEqual(['d', 'd/odd.txt', 'd/empty', 'link', 'run.sh']);
    const out = mkdtempSync(join(tmp, 'x-'));
    execFileSync('busybox', ['cpio', '-i', '-d', '-F', file], { cwd: out, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(readFileSync(join(out, 'd/odd.txt'), 'utf8')).toBe('abc');
    expect(statSync(join(out, 'd/odd.txt')).mode & 0o777).toBe(0o640);
    expect(statSync(join(out, 'd')).isDirectory()).toBe(true);
    expect(statSync(join(out, 'd/empty')).size).toBe(0);
    expect(readlinkSync(join(out, 'link'))).toBe('d/odd.txt');
    expect(statSync(join(out, 'run.sh')).mode & 0o777).toBe(0o755);
  });

  test('header fields are 8 hex digits at the offsets the kernel expects', () => {
    const a = writeCpio([{ name: 'f', kind: 'file', perm: 0o644, data: 'xyz' }]);
    expect(a.toString('latin1', 0, 6)).toBe('070701');
    // mode is the 2nd field (offset 14), filesize the 7th (54), namesize the 12th (94).
    expect(parseInt(a.toString('latin1', 14, 22), 16)).toBe(0o100644);
    expect(parseInt(a.toString('latin1', 54, 62), 16)).toBe(3);
    expect(parseInt(a.toString('latin1', 94, 102), 16)).toBe(2); // "f\0"
    // 110-byte header + 2-byte name = 112 (already aligned), then the data.
    expect(a.toString('latin1', 110, 116)).toBe('f\0xyz\0');
    expect(a.includes(Buffer.from('TRAILER!!!\0'))).toBe(true);
  });

  test('rejects absolute names and bad permissions', () => {
    expect(() => writeCpio([{ name: '/etc', kind: 'dir', perm: 0o755 }])).toThrow(/relative/);
    expect(() => writeCpio([{ name: 'x', kind: 'file', perm: 0o100644 }])).toThrow(/permission/);
  });
});

describe('kernel modules', () => {
  // The shape of Debian 6.1's modules.dep for these modules (deepest dependency last).
  const dep = [
    'kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko',
    'kernel/fs/jbd2/jbd2.ko:',
    'kernel/fs/mbcache.ko:',
    'kernel/lib/crc16.ko:',
    'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko',
    'kernel/net/9p/9pnet.ko:',
    'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
    'kernel/fs/netfs/netfs.ko:',
    'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
    'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
    'kernel/drivers/virtio/virtio_ring.ko:',
  ].join('\n');

  test('dependencies load before their users, each once', () => {
    const names = moduleLoadOrder(dep, ['9pnet_virtio', '9p', 'ext4']).map((p) => p.replace(/^.*\//, '').replace('.ko', ''));
    expect(names).toEqual(['virtio_ring', 'virtio', '9pnet', '9pnet_virtio', 'netfs', 'fscache', '9p', 'jbd2', 'mbcache', 'crc16', 'ext4']);
  });

  test('an unknown module is a clear error', () => {
    expect(() => moduleLoadOrder(dep, ['virtio_gpu'])).toThrow(/virtio_gpu.*not in modules.dep/);
  });

  test('the appended signature is cut at the length its trailer states', () => {
    const body = Buffer.from('\x7fELF-module-body');
    const sig = Buffer.alloc(7, 0xaa);
    const info = Buffer.alloc(12);
    info.writeUInt32BE(7, 8);
    const signed = Buffer.concat([body, sig, info, Buffer.from('~Module signature appended~\n')]);
    expect(stripModuleSignature(signed).equals(body)).toBe(true);
    expect(stripModuleSignature(body).equals(body)).toBe(true);
  });
});

describe('kernel package and bzImage', () => {
  test('the versioned package comes from apt-cache depends', () => {
    const out = 'linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n';
    expect(parseMetaPackageDepends(out)).toBe('linux-image-6.1.0-56-amd64');
    expect(kernelVersionOf('linux-image-6.1.0-56-amd64')).toBe('6.1.0-56-amd64');
    expect(() => parseMetaPackageDepends('nothing here')).toThrow(/cannot find/);
    expect(() => kernelVersionOf('linux-image-amd64')).toThrow(/versioned/);
  });

  test('payload offset = (setup_sects+1)*512 + payload_offset', () => {
    const h = Buffer.alloc(0x400);
    h[0x1f1] = 0x27;
    h.write('HdrS', 0x202, 'latin1');
    h.writeUInt16LE(0x20f, 0x206);
    h.writeUInt32LE(0x2cc, 0x248);
    h.writeUInt32LE(0x7bf070, 0x24c);
    expect(bzImagePayload(h)).toEqual({ offset: 40 * 512 + 0x2cc, length: 0x7bf070 });
    h.write('XXXX', 0x202, 'latin1');
    expect(() => bzImagePayload(h)).toThrow(/HdrS/);
  });

  test('compression by magic', () => {
    expect(payloadCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1]))).toBe('xz');
    expect(payloadCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))).toBe('zstd');
    expect(() => payloadCompression(Buffer.from('BZh91AY'))).toThrow(/unknown/);
  });
});

describe('QEMU command line', () => {
  const base = { vcpus: 2, memoryMiB: 2048, vmlinux: '/k/vmlinux', initrd: '/t/initrd.cpio', scratchImage: '/t/scratch.img', collectorPort: 40123 };
  const valueOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

  test('KVM: host CPU, kvm accelerator, same devices as TCG', () => {
    const kvm = qemuArgs({ ...base, accel: 'kvm' });
    const tcg = qemuArgs({ ...base, accel: 'tcg' });
    expect(valueOf(kvm, '-accel')).toBe('kvm');
    expect(valueOf(kvm, '-cpu')).toBe('host');
    expect(valueOf(tcg, '-accel')).toBe('tcg');
    expect(valueOf(tcg, '-cpu')).toBe('max');
    // Apart from the accelerator and CPU model, the two lines are identical (a fair comparison).
    const strip = (a: string[]) => a.filter((_, i) => !['-accel', '-cpu'].includes(a[i - 1] ?? '') && !['-accel', '-cpu'].includes(a[i]!));
    expect(strip(kvm)).toEqual(strip(tcg));
    expect(valueOf(kvm, '-smp')).toBe('2');
    expect(valueOf(kvm, '-m')).toBe('2048');
    expect(valueOf(kvm, '-kernel')).toBe('/k/vmlinux');
    expect(kvm).toContain('-no-reboot');
  });

  test('the only network path is one guest forward to the collector on the host loopback', () => {
    const args = qemuArgs({ ...base, accel: 'kvm' });
    const netdevs = args.filter((_, i) => args[i - 1] === '-netdev');
    expect(netdevs).toEqual(['user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:50051-cmd:/bin/busybox nc 127.0.0.1 40123']);
    expect(args.join(' ')).not.toMatch(/hostfwd|-nic|tap/);
    expect(qemuArgs({ ...base, collectorPort: undefined, accel: 'tcg' })).not.toContain('-netdev');
  });

  test('root is exported read-only; scratch disk is virtio-blk raw; commas escaped', () => {
    const args = qemuArgs({ ...base, accel: 'tcg', scratchImage: '/t/a,b.img' });
    expect(valueOf(args, '-fsdev')).toBe('local,id=root,path=/,security_model=none,readonly=on,multidevs=remap');
    expect(valueOf(args, '-drive')).toBe('file=/t/a,,b.img,format=raw,if=none,id=scratch,aio=threads');
    expect(args).toContain('virtio-blk-pci,drive=scratch');
    expect(kernelCommandLine()).toContain('panic=-1');
  });

  test('bad sizes are clear errors', () => {
    expect(() => qemuArgs({ ...base, accel: 'tcg', vcpus: 0 })).toThrow(/vcpus/);
    expect(() => qemuArgs({ ...base, accel: 'tcg', memoryMiB: 64 })).toThrow(/256 MiB/);
    expect(() => qemuArgs({ ...base, accel: 'tcg', collectorPort: 70000 })).toThrow(/port/);
  });
});

describe('console markers', () => {
  test('output between start and exit markers; nonce must match', () => {
    const text = 'boot noise\r\nLAB_START n1\r\nhello\r\nLAB_EXIT fake 0\r\nworld\r\nLAB_EXIT n1 7\r\n[ 1.0] reboot: Power down\r\n';
    const p = parseConsole(text, 'n1');
    expect(p).toEqual({ started: true, exitCode: 7, output: 'hello\nLAB_EXIT fake 0\nworld' });
  });

  test('a panic line is reported; no marker means no exit code', () => {
    const p = parseConsole('LAB_START n1\n[ 2.1] Kernel panic - not syncing: sysrq triggered crash\n', 'n1');
    expect(p.exitCode).toBeUndefined();
    expect(p.panic).toMatch(/Kernel panic - not syncing: sysrq/);
  });

  test('run archive rejects values that would break the init script', () => {
    expect(() => runArchive({ command: 'true', nonce: 'a b', hostname: 'x' })).toThrow(/nonce/);
    expect(() => runArchive({ command: 'true', nonce: 'ab', hostname: 'bad host' })).toThrow(/hostname/);
    expect(() => runArchive({ command: 'true', nonce: 'ab', hostname: 'h', env: { 'A-B': '1' } })).toThrow(/environment variable/);
  });
});
