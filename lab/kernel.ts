// Debian's 6.1 kernel for throwaway guests, fetched WITHOUT installing it: installing
// linux-image-amd64 regenerates an initramfs for minutes and pulls in systemd/udev. We
// `apt-get download` the versioned package, unpack it with `dpkg-deb -x`, run
// `depmod -b`, and extract the uncompressed ELF vmlinux so QEMU boots it through its PVH
// entry (saves ~3 s of in-guest decompression under TCG). Cached: the second call is instant.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readSync, closeSync, readdirSync, renameSync, rmSync, writeFileSync, fstatSync } from 'node:fs';
import { join } from 'node:path';

export interface LabKernel {
  /** e.g. 6.1.0-56-amd64 */
  version: string;
  /** Uncompressed ELF kernel with a PVH entry note. */
  vmlinux: string;
  /** <root>/lib/modules/<version>, depmod already run. */
  modulesDir: string;
}

const READY = 'READY';

/** The versioned image package linux-image-amd64 depends on, from `apt-cache depends`. */
export function parseMetaPackageDepends(aptCacheOutput: string): string {
  const m = /Depends:\s*(linux-image-(\d+\.\d+\.\d+-\d+-amd64))\b/.exec(aptCacheOutput);
  if (!m) throw new Error(`cannot find a linux-image-<version>-amd64 dependency in apt-cache output:\n${aptCacheOutput.slice(0, 400)}`);
  return m[1]!;
}

export function kernelVersionOf(packageName: string): string {
  const m = /^linux-image-(\d+\.\d+\.\d+-\d+-amd64)$/.exec(packageName);
  if (!m) throw new Error(`not a versioned Debian kernel image package: '${packageName}' (expected linux-image-6.1.0-N-amd64)`);
  return m[1]!;
}

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-800)}`);
  return r.stdout;
}

/**
 * Where the compressed payload sits in a bzImage (x86 boot protocol >= 2.08):
 * the protected-mode code starts at (setup_sects+1)*512, payload_offset at 0x248 and
 * payload_length at 0x24c are relative to it.
 */
export function bzImagePayload(header: Buffer): { offset: number; length: number } {
  if (header.length < 0x250) throw new Error('bzImage header too short');
  if (header.toString('latin1', 0x202, 0x206) !== 'HdrS') throw new Error('not a bzImage: no HdrS magic at 0x202');
  const protocol = header.readUInt16LE(0x206);
  if (protocol < 0x208) throw new Error(`bzImage boot protocol ${(protocol >> 8).toString()}.${protocol & 0xff} is too old to carry payload_offset`);
  const setupSects = header[0x1f1] || 4;
  return { offset: (setupSects + 1) * 512 + header.readUInt32LE(0x248), length: header.readUInt32LE(0x24c) };
}

/** Which decompressor a payload needs, from its magic bytes. */
export function payloadCompression(head: Buffer): 'xz' | 'zstd' | 'gzip' {
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  throw new Error(`unknown kernel payload compression (magic ${head.subarray(0, 6).toString('hex')})`);
}

/** Writes the uncompressed ELF vmlinux found inside a bzImage (the extract-vmlinux idea, by header). */
export function extractVmlinux(bzImage: string, out: string): void {
  const fd = openSync(bzImage, 'r');
  let payload: Buffer;
  try {
    const header = Buffer.alloc(0x400);
    readSync(fd, header, 0, header.length, 0);
    const { offset, length } = bzImagePayload(header);
    if (offset + length > fstatSync(fd).size) throw new Error(`bzImage payload (${offset}+${length}) runs past the end of ${bzImage}`);
    payload = Buffer.alloc(length);
    readSync(fd, payload, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  // The build appends the uncompressed size after the stream: decompress one stream only.
  const kind = payloadCompression(payload);
  const [cmd, args] = kind === 'xz' ? ['xz', ['-dc', '--single-stream']] : kind === 'zstd' ? ['zstd', ['-dcq']] : ['gzip', ['-dc']];
  const r = spawnSync(cmd, args, { input: payload, maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} is needed to unpack the kernel (apt-get install xz-utils zstd): ${r.error.message}`);
  const elf = r.stdout as Buffer;
  // gzip/zstd warn about the trailing size word but still produce the image; check the ELF instead of the exit code.
  if (elf.length < 4 || elf.toString('latin1', 0, 4) !== '\x7fELF') {
    throw new Error(`decompressing the ${kind} payload of ${bzImage} did not give an ELF vmlinux: ${String(r.stderr).slice(0, 400)}`);
  }
  writeFileSync(out, elf);
}

export interface EnsureKernelOptions {
  /** Cache folder, e.g. <project>/.data/lab */
  cacheDir: string;
  /** linux-image-6.1.0-N-amd64; default: what linux-image-amd64 depends on. */
  packageName?: string;
  log?: (line: string) => void;
}

function cachedKernels(cacheDir: string): string[] {
  if (!existsSync(cacheDir)) return [];
  return readdirSync(cacheDir)
    .filter((d) => /^kernel-\d+\.\d+\.\d+-\d+-amd64$/.test(d) && existsSync(join(cacheDir, d, READY)))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

function describe(dir: string, version: string): LabKernel {
  return { version, vmlinux: join(dir, 'vmlinux'), modulesDir: join(dir, 'root', 'lib', 'modules', version) };
}

/** Returns a ready kernel, downloading and preparing it once. */
export function ensureKernel(opts: EnsureKernelOptions): LabKernel {
  const log = opts.log ?? (() => {});
  let packageName = opts.packageName;
  if (!packageName) {
    // A warm cache is used as is (apt-cache alone takes ~2 s here); delete it to move to a newer kernel.
    const have = cachedKernels(opts.cacheDir).pop();
    if (have) return describe(join(opts.cacheDir, have), have.slice('kernel-'.length));
    try {
      packageName = parseMetaPackageDepends(run('apt-cache', ['depends', 'linux-image-amd64']));
    } catch (err) {
      throw new Error(`cannot choose a kernel: ${(err as Error).message} (run 'apt-get update' first, or pass the package name)`);
    }
  }
  const version = kernelVersionOf(packageName);
  const dir = join(opts.cacheDir, `kernel-${version}`);
  if (existsSync(join(dir, READY))) return describe(dir, version);

  // Build in a private folder and rename at the end, so an interrupted run never leaves a half kernel.
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    log(`lab: downloading ${packageName} (not installing it)`);
    run('apt-get', ['download', '-q', packageName], work);
    const deb = readdirSync(work).find((f) => f.startsWith(packageName!) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${packageName} produced no .deb in ${work}`);
    log(`lab: unpacking ${deb}`);
    run('dpkg-deb', ['-x', deb, 'root'], work);
    rmSync(join(work, deb));
    run('depmod', ['-b', join(work, 'root'), version]);
    extractVmlinux(join(work, 'root', 'boot', `vmlinuz-${version}`), join(work, 'vmlinux'));
    if (!hasPvhNote(join(work, 'vmlinux'))) throw new Error(`the vmlinux of ${packageName} has no PVH entry note: QEMU cannot boot it with -kernel`);
    writeFileSync(join(work, READY), `${packageName}\n`);
    // Another lab run may have finished the same kernel meanwhile: keep theirs (it may be in use).
    if (existsSync(join(dir, READY))) rmSync(work, { recursive: true, force: true });
    else {
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
    }
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  log(`lab: kernel ${version} ready in ${dir}`);
  return describe(dir, version);
}

/** True when the ELF carries a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18), which `-kernel` needs for an ELF. */
export function hasPvhNote(vmlinux: string): boolean {
  try {
    return /\b0x00000012\b/.test(execFileSync('readelf', ['-n', vmlinux], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }));
  } catch {
    // Without binutils we cannot check; QEMU will say so itself when it refuses the image.
    const fd = openSync(vmlinux, 'r');
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    return head.toString('latin1') === '\x7fELF';
  }
}
