// A real ext4 filesystem on a loop device, for faults a test cannot make with plain files: the
// kernel remounting it read-only after an error (errors=remount-ro, /sys/fs/ext4/<dev>/
// trigger_fs_error), and every I/O failing with EIO (EXT4_IOC_SHUTDOWN, the "disk is gone" call
// xfstests uses; through python3, since Node has no ioctl). Needs root, loop devices,
// mkfs.ext4 and (for EIO) python3; loopFsUnavailable() says which is missing, so tests skip
// with that reason. Device-mapper (dm-error, dm-flakey) would be the other way to get EIO; this
// kernel has no device-mapper (no /dev/mapper/control, no dm_mod module).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

/** Why a loop-mounted ext4 cannot be made here ('' when it can). */
export function loopFsUnavailable(needs: { python3?: boolean } = {}): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (losetup and mount need it)';
  if (!existsSync('/dev/loop-control')) return 'no loop devices (/dev/loop-control missing)';
  for (const tool of ['losetup', 'mkfs.ext4', 'mount', 'umount', ...(needs.python3 ? ['python3'] : [])]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not installed`;
  }
  return '';
}

/**
 * mountLoopFs, or the reason it cannot be done here (a container may be root and still not be
 * allowed to set up loop devices or mount): a reason to skip, never a failure of the spool.
 */
export function tryMountLoopFs(base: string, sizeMiB = 16): LoopFs | string {
  try {
    const fs = mountLoopFs(base, sizeMiB);
    return fs;
  } catch (err) {
    return `cannot mount a loop-device ext4 here: ${(err as Error).message}`;
  }
}

export interface LoopFs {
  /** Where it is mounted. */
  dir: string;
  device: string;
  /** ext4's sysfs file that raises an error on it (Linux 5.x and later). */
  errorTrigger: string;
  /** The kernel's ext4 error: with errors=remount-ro (always set here) it turns the mount read-only. */
  failReadOnly(): void;
  /** Every later read and write on it fails with EIO; fsync'd data survives a remount. */
  shutdown(): void;
  /** Unmounts and mounts it again (after shutdown(): the journal is replayed). */
  remount(): void;
  /** Unmounts (lazily when busy), detaches the loop device, removes the image; never throws. */
  cleanup(): string[];
}

/** A fresh ext4 of sizeMiB in `base` (image file), mounted at base/mnt. Throws with the reason when it cannot. */
export function mountLoopFs(base: string, sizeMiB = 16): LoopFs {
  const image = join(base, 'disk.img');
  const dir = join(base, 'mnt');
  mkdirSync(dir, { recursive: true });
  run('truncate', ['-s', `${sizeMiB}M`, image]);
  run('mkfs.ext4', ['-q', '-F', image]);
  const device = run('losetup', ['--find', '--show', image]);
  const mount = () => run('mount', ['-t', 'ext4', '-o', 'errors=remount-ro', device, dir]);
  try {
    mount();
  } catch (err) {
    run('losetup', ['-d', device]);
    throw err;
  }
  return {
    dir,
    device,
    errorTrigger: `/sys/fs/ext4/${basename(device)}/trigger_fs_error`,
    failReadOnly: () => run('sh', ['-c', `echo 'vo test: disk error' > /sys/fs/ext4/${basename(device)}/trigger_fs_error`]),
    shutdown: () =>
      // EXT4_IOC_SHUTDOWN = _IOR('X', 125, __u32); flag 2 = EXT4_GOING_FLAGS_NOLOGFLUSH.
      run('python3', ['-c', `import fcntl,os,struct; fcntl.ioctl(os.open(${JSON.stringify(dir)}, os.O_RDONLY), 0x8004587D, struct.pack('I', 2))`]),
    remount: () => {
      run('umount', [dir]);
      mount();
    },
    cleanup: () => {
      const problems: string[] = [];
      const attempt = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          problems.push((err as Error).message);
        }
      };
      attempt(() => {
        try {
          run('umount', [dir]);
        } catch {
          run('umount', ['-l', dir]); // busy: detach now, freed when the last user goes
        }
      });
      attempt(() => run('losetup', ['-d', device]));
      attempt(() => rmSync(image, { force: true }));
      return problems;
    },
  };
}
