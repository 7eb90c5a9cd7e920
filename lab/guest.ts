// Boots one throwaway QEMU guest that runs ONE command over this machine's read-only root
// and reports its exit status. Timeouts, kernel panics and QEMU crashes become a GuestError
// carrying the console tail; temp files and the QEMU process are always cleaned up.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../lib/root.js';
import { register } from './cleanup.js';
import { ensureBaseInitramfs, runArchive } from './initramfs.js';
import { ensureKernel, type LabKernel } from './kernel.js';
import { qemuArgs, type Accel } from './qemu-args.js';

export interface RunInGuestOptions {
  /** Shell text run by /bin/sh inside the guest (chrooted into this machine's root + overlay). */
  command: string;
  accel: Accel;
  qemuBinary?: string;
  vcpus: number;
  memoryMiB: number;
  /** Size of the ext4 scratch disk mounted at /mnt/scratch; 0 for none. */
  scratchDiskMiB: number;
  /** Host loopback port the guest reaches as 10.0.2.100:50051; none = no network device. */
  collectorPort?: number;
  /** Where QEMU's forward relays to (default 127.0.0.1; a nested guest's QEMU relays to its own guest forward). */
  collectorHost?: string;
  /** Extra kernel command-line words (a nested guest needs no_timer_check). */
  append?: string[];
  timeoutMs: number;
  hostname?: string;
  env?: Record<string, string>;
  /** Where the kernel and base initramfs are cached (default <project>/.data/lab). */
  cacheDir?: string;
  kernel?: LabKernel;
  /** Every console line as it arrives (e.g. to show progress). */
  onConsole?: (line: string) => void;
  /** Called with QEMU's pid and the guest's temp folder once QEMU runs (tests check both are gone afterwards). */
  onQemuStart?: (info: { pid: number; tmpDir: string }) => void;
  log?: (line: string) => void;
}

export interface GuestResult {
  /** The command's exit status inside the guest. */
  exitCode: number;
  /** What the command printed (console lines between the start and exit markers). */
  output: string;
  /** The last console lines, for messages. */
  consoleTail: string;
  durationMs: number;
}

export class GuestError extends Error {
  override name = 'GuestError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'panic' | 'qemu-failed' | 'no-exit-marker' | 'init-failed',
    readonly consoleTail: string,
  ) {
    super(`${message}\n--- guest console (last lines) ---\n${consoleTail}\n---`);
  }
}

const TAIL_LINES = 40;
const MAX_CONSOLE_BYTES = 8 * 1024 * 1024;

export function defaultCacheDir(): string {
  return join(packageRoot(), '.data', 'lab');
}

/** Exit codes /init uses when it cannot set the guest up (see initramfs.ts). */
const INIT_FAILURES: Record<number, string> = {
  250: 'a kernel module failed to load',
  251: 'the host root could not be mounted over virtio-9p',
  252: 'the overlay root could not be mounted',
  253: 'the scratch disk could not be mounted',
};

export interface ParsedConsole {
  started: boolean;
  exitCode?: number;
  output: string;
  panic?: string;
}

/** Reads the markers /init prints (with this run's nonce) out of the console text. */
export function parseConsole(text: string, nonce: string): ParsedConsole {
  const lines = text.replace(/\r/g, '').split('\n');
  const start = lines.findIndex((l) => l.trim() === `LAB_START ${nonce}`);
  let exitCode: number | undefined;
  let end = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = new RegExp(`^LAB_EXIT ${nonce} (\\d+)$`).exec(lines[i]!.trim());
    if (m) {
      exitCode = Number(m[1]);
      end = i;
      break;
    }
  }
  const panicLine = lines.find((l) => /Kernel panic - not syncing/.test(l));
  return {
    started: start >= 0,
    exitCode,
    output: start >= 0 ? lines.slice(start + 1, end).join('\n') : '',
    ...(panicLine ? { panic: panicLine.trim() } : {}),
  };
}

function tailOf(text: string): string {
  return text.replace(/\r/g, '').split('\n').slice(-TAIL_LINES).join('\n');
}

/** Creates a sparse raw file of `mib` MiB and formats it ext4 (no root or loop device needed). */
export function makeScratchDisk(path: string, mib: number): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, mib * 1024 * 1024);
  } finally {
    closeSync(fd);
  }
  const r = spawnSync('mke2fs', ['-q', '-t', 'ext4', '-F', '-L', 'lab-scratch', '-m', '0', path], { encoding: 'utf8' });
  if (r.error) throw new Error(`mke2fs is needed for the guest's scratch disk (apt-get install e2fsprogs): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`mke2fs ${path} failed: ${r.stderr.trim()}`);
}

export async function runInGuest(o: RunInGuestOptions): Promise<GuestResult> {
  const log = o.log ?? (() => {});
  const cacheDir = o.cacheDir ?? defaultCacheDir();
  const kernel = o.kernel ?? ensureKernel({ cacheDir, log });
  const base = ensureBaseInitramfs({ kernel, cacheDir });
  const tmp = mkdtempSync(join(tmpdir(), 'virt-overhead-guest-'));
  const reg = register(tmp);
  const started = Date.now();
  try {
    const nonce = randomBytes(8).toString('hex');
    const initrd = join(tmp, 'initrd.cpio');
    writeFileSync(initrd, Buffer.concat([readFileSync(base), runArchive({ command: o.command, nonce, hostname: o.hostname ?? `lab-${o.accel}`, env: o.env })]));
    let scratchImage: string | undefined;
    if (o.scratchDiskMiB > 0) {
      scratchImage = join(tmp, 'scratch.img');
      makeScratchDisk(scratchImage, o.scratchDiskMiB);
    }
    const args = qemuArgs({
      accel: o.accel,
      vcpus: o.vcpus,
      memoryMiB: o.memoryMiB,
      vmlinux: kernel.vmlinux,
      initrd,
      scratchImage,
      collectorPort: o.collectorPort,
      ...(o.collectorHost ? { collectorHost: o.collectorHost } : {}),
      ...(o.append ? { append: o.append } : {}),
    });
    const bin = o.qemuBinary ?? 'qemu-system-x86_64';
    log(`lab: ${bin} ${args.join(' ')}`);
    // Own process group: the guest-forward relays QEMU spawns die with it.
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let consoleText = '';
    let stderr = '';
    let partial = '';
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    if (child.pid) {
      reg.setPid(child.pid);
      o.onQemuStart?.({ pid: child.pid, tmpDir: tmp });
    }
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (consoleText.length < MAX_CONSOLE_BYTES) consoleText += chunk;
      else consoleText = consoleText.slice(-MAX_CONSOLE_BYTES / 2) + chunk;
      if (o.onConsole) {
        const lines = (partial + chunk).replace(/\r/g, '').split('\n');
        partial = lines.pop()!;
        for (const l of lines) o.onConsole(l);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-16_000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, o.timeoutMs);
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    const outcome = await Promise.race([exit, spawnError]);
    clearTimeout(timer);
    const durationMs = Date.now() - started;
    if (outcome instanceof Error) throw new GuestError(`cannot start QEMU '${bin}': ${outcome.message}`, 'qemu-failed', '');
    const parsed = parseConsole(consoleText, nonce);
    const tail = tailOf(consoleText + (stderr ? `\n[qemu stderr]\n${stderr}` : ''));
    if (timedOut) throw new GuestError(`the ${o.accel} guest did not finish within ${Math.round(o.timeoutMs / 1000)} s and was stopped`, 'timeout', tail);
    if (parsed.panic) throw new GuestError(`the ${o.accel} guest's kernel panicked: ${parsed.panic}`, 'panic', tail);
    if (parsed.exitCode === undefined) {
      const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with status ${outcome.code}`;
      throw new GuestError(
        `QEMU ${how} before the guest command finished${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`,
        outcome.code === 0 ? 'no-exit-marker' : 'qemu-failed',
        tail,
      );
    }
    if (!parsed.started && INIT_FAILURES[parsed.exitCode]) throw new GuestError(`guest set-up failed: ${INIT_FAILURES[parsed.exitCode]}`, 'init-failed', tail);
    return { exitCode: parsed.exitCode, output: parsed.output, consoleTail: tail, durationMs };
  } finally {
    reg.release();
  }
}
