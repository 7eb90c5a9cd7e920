// A minimal cpio "newc" writer: the format the kernel unpacks as an initramfs. Written here
// because Debian's cpio is not installed by default; ~40 lines, no dependency.

export interface CpioEntry {
  /** Path inside the archive, without a leading '/'. */
  name: string;
  kind: 'file' | 'dir' | 'symlink';
  /** Permission bits, e.g. 0o755. */
  perm: number;
  /** File contents, or the link target for a symlink. */
  data?: Buffer | string;
}

const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000 } as const;

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`cpio: value ${n} does not fit a newc header field`);
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

function record(ino: number, mode: number, nlink: number, name: string, body: Buffer): Buffer[] {
  const nameBuf = Buffer.from(name + '\0', 'utf8');
  const fields = [ino, mode, 0, 0, nlink, 0, body.length, 0, 0, 0, 0, nameBuf.length, 0];
  const header = Buffer.from('070701' + fields.map(hex8).join(''), 'latin1');
  // Header (110 bytes) + name is padded to 4, then the body is padded to 4.
  return [header, nameBuf, pad4(header.length + nameBuf.length), body, pad4(body.length)];
}

/** Serialises entries (in the given order) followed by the TRAILER!!! record. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    if (e.name.startsWith('/') || e.name === '') throw new Error(`cpio: entry name '${e.name}' must be relative and non-empty`);
    if (e.perm & ~0o7777) throw new Error(`cpio: entry '${e.name}' has permission bits outside 0o7777`);
    const body = e.kind === 'dir' ? Buffer.alloc(0) : typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : (e.data ?? Buffer.alloc(0));
    if (e.kind === 'symlink' && body.length === 0) throw new Error(`cpio: symlink '${e.name}' needs a target`);
    parts.push(...record(ino++, TYPE_BITS[e.kind] | e.perm, e.kind === 'dir' ? 2 : 1, e.name, body));
  }
  parts.push(...record(0, 0, 1, 'TRAILER!!!', Buffer.alloc(0)));
  return Buffer.concat(parts);
}
