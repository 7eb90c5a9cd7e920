// Segment files: <16-digit sequence>.seg, appended to in order, rewritten whole when damaged.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, writeSync } from 'node:fs';
import type { Decoded } from './record.js';

/** Spool files: the owner alone, whatever the umask (the directory is 0700 too). */
export const FILE_MODE = 0o600;

export function segName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.seg`;
}

/** The sequence numbers of the segments in a spool folder, oldest first. */
export function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => /^\d{16}\.seg$/.test(f))
    .map((f) => Number(f.slice(0, 16)))
    .sort((a, b) => a - b);
}

/** Replaces a damaged segment by its valid records (write, fsync, rename); returns the new layout. */
export function rewriteSegment(path: string, buf: Buffer, records: Decoded[]): { records: Decoded[]; validEnd: number } {
  const out: Decoded[] = [];
  const parts: Buffer[] = [];
  let pos = 0;
  for (const d of records) {
    parts.push(buf.subarray(d.offset, d.offset + d.length));
    out.push({ record: d.record, offset: pos, length: d.length });
    pos += d.length;
  }
  const tmp = path + '.tmp';
  const fd = openSync(tmp, 'w', FILE_MODE);
  writeSync(fd, Buffer.concat(parts));
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  return { records: out, validEnd: pos };
}
