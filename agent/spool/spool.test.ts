// The spool on a real file system: order, acks across restarts, torn and corrupt records,
// the size cap and the acks log. Expected numbers are worked out by hand from record sizes.
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { encodeRecord, type SpoolRecord } from './record.js';
import { Spool } from './spool.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vo-spool-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Records of identical encoded size (fixed-width ids), so byte arithmetic is exact. */
function rec(n: number): SpoolRecord {
  return { id: `r-${String(n).padStart(6, '0')}`, kind: 'sample', body: { id: `r-${String(n).padStart(6, '0')}`, fields: { elapsed_s: 1 } } };
}
const ids = (spool: Spool) => [...spool.pending()].map((r) => r.id);
const segFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort();
const L = encodeRecord(rec(1)).length;

describe('spool', () => {
  it('keeps records oldest first and forgets exactly the acknowledged ones, across a restart', () => {
    const dir = tempDir();
    const spool = Spool.open(dir);
    spool.append([rec(1), rec(2), rec(3)]);
    spool.append([rec(4)]);
    spool.append([rec(5)]);
    expect(ids(spool)).toEqual(['r-000001', 'r-000002', 'r-000003', 'r-000004', 'r-000005']);
    spool.ack(['r-000002', 'r-000004', 'never-sent']);
    expect(ids(spool)).toEqual(['r-000001', 'r-000003', 'r-000005']);
    expect(spool.stats().spooled).toBe(3);
    spool.close();
    const again = Spool.open(dir);
    expect(ids(again)).toEqual(['r-000001', 'r-000003', 'r-000005']);
    expect([...again.pending(1)].map((r) => r.id)).toEqual(['r-000001']);
    expect([...again.pending(1, (id) => id === 'r-000001')].map((r) => r.id)).toEqual(['r-000003']);
    expect(again.stats()).toMatchObject({ spooled: 3, dropped: 0, corrupt: 0 });
    again.close();
  });

  it('returns the body exactly as appended', () => {
    const spool = Spool.open(tempDir());
    const body = { id: 'x', fields: { events_per_sec: 1234.5678 }, errors: ['a "quoted" line,\nnext'], timestamp_ns: '1790000000000000001' };
    spool.append([{ id: 'x', kind: 'result', body }]);
    expect([...spool.pending()][0]).toEqual({ id: 'x', kind: 'result', body });
    spool.close();
  });

  it('keeps a resent id once', () => {
    const spool = Spool.open(tempDir());
    spool.append([rec(1)]);
    spool.append([rec(1)]);
    expect(ids(spool)).toEqual(['r-000001']);
    spool.close();
  });

  it('skips and counts a torn tail once, starts, and appends on a record boundary', () => {
    const dir = tempDir();
    const spool = Spool.open(dir);
    spool.append([rec(1), rec(2), rec(3)]);
    spool.close();
    const seg = join(dir, segFiles(dir)[0]!);
    expect(statSync(seg).size).toBe(3 * L);
    truncateSync(seg, 2 * L + 7); // the third record lost its end (SIGKILL mid-write)
    const corrupt: number[] = [];
    const reopened = Spool.open(dir, { onCorrupt: (_s, offset) => corrupt.push(offset) });
    expect(ids(reopened)).toEqual(['r-000001', 'r-000002']);
    expect(corrupt).toEqual([2 * L]);
    expect(reopened.stats().corrupt).toBe(1);
    reopened.append([rec(4)]);
    reopened.close();
    const third = Spool.open(dir);
    expect(ids(third)).toEqual(['r-000001', 'r-000002', 'r-000004']);
    expect(third.stats().corrupt).toBe(1); // not counted again
    expect(statSync(seg).size).toBe(3 * L);
    third.close();
  });

  it('skips and counts flipped bytes in the middle of a segment; the records around it survive', () => {
    const dir = tempDir();
    const spool = Spool.open(dir);
    spool.append([1, 2, 3, 4, 5].map(rec));
    spool.close();
    const seg = join(dir, segFiles(dir)[0]!);
    const fd = openSync(seg, 'r+');
    const at = 2 * L + 20; // inside record 3's payload
    const b = Buffer.alloc(3);
    readSync(fd, b, 0, 3, at);
    writeSync(fd, Buffer.from(b.map((x) => x ^ 0xff)), 0, 3, at);
    closeSync(fd);
    const reopened = Spool.open(dir);
    expect(ids(reopened)).toEqual(['r-000001', 'r-000002', 'r-000004', 'r-000005']);
    expect(reopened.stats().corrupt).toBe(1);
    reopened.close();
    expect(Spool.open(dir).stats().corrupt).toBe(1);
  });

  it('starts on a segment of pure garbage and on an empty one', () => {
    const dir = tempDir();
    const spool = Spool.open(dir);
    spool.append([rec(1)]);
    spool.close();
    const fd = openSync(join(dir, '0000000000000007.seg'), 'w');
    writeSync(fd, Buffer.alloc(1000, 0x56));
    closeSync(fd);
    closeSync(openSync(join(dir, '0000000000000009.seg'), 'w'));
    const reopened = Spool.open(dir);
    expect(ids(reopened)).toEqual(['r-000001']);
    expect(reopened.stats().corrupt).toBe(1);
    reopened.append([rec(2)]);
    expect(ids(reopened)).toEqual(['r-000001', 'r-000002']);
    reopened.close();
  });

  it('drops the oldest records past the cap, counts them exactly and keeps the count across restarts', () => {
    const dir = tempDir();
    let reported = 0;
    // 10 records per segment; the cap holds 3.5 segments. Dropping happens a segment at a
    // time, at appends 36, 46, ..., 96: 7 segments of 10 go, records 71..100 stay.
    const spool = Spool.open(dir, { segmentBytes: 10 * L, maxBytes: 35 * L, onDrop: (n) => (reported += n) });
    for (let i = 1; i <= 100; i++) spool.append([rec(i)]);
    const expected = Array.from({ length: 30 }, (_, k) => rec(71 + k).id);
    expect(ids(spool)).toEqual(expected);
    expect(spool.stats()).toMatchObject({ spooled: 30, dropped: 70, bytes: 30 * L, segments: 3 });
    expect(reported).toBe(70);
    spool.close();
    const reopened = Spool.open(dir, { segmentBytes: 10 * L, maxBytes: 35 * L });
    expect(reopened.stats()).toMatchObject({ spooled: 30, dropped: 70 });
    expect(ids(reopened)).toEqual(expected);
    reopened.close();
  });

  it('counts as dropped only records not yet acknowledged', () => {
    const dir = tempDir();
    const spool = Spool.open(dir, { segmentBytes: 10 * L, maxBytes: 35 * L });
    for (let i = 1; i <= 30; i++) spool.append([rec(i)]);
    spool.ack(['r-000001', 'r-000002', 'r-000003']);
    for (let i = 31; i <= 36; i++) spool.append([rec(i)]); // the 36th drops segment 1 (7 live)
    expect(spool.stats().dropped).toBe(7);
    expect(ids(spool)[0]).toBe('r-000011');
    spool.close();
  });

  // Issue 16: a write the disk refuses no longer drops the record: it is held in memory (sent
  // and acked like the others), writeError says why, and the agent stops measuring.
  it('disk full (a segment that is /dev/full): the records are held in memory, reported once, still sent and acked', () => {
    const dir = tempDir();
    const errors: string[] = [];
    const spool = Spool.open(dir, { onWriteError: (code) => errors.push(code) });
    symlinkSync('/dev/full', join(dir, '0000000000000001.seg')); // every write: ENOSPC
    expect(() => spool.append([rec(1), rec(2)])).not.toThrow();
    expect(spool.stats()).toMatchObject({ spooled: 2, memory: 2, dropped: 0, writeError: 'ENOSPC' });
    expect(errors).toEqual(['ENOSPC']);
    expect(ids(spool)).toEqual(['r-000001', 'r-000002']);
    spool.ack(['r-000001']);
    expect(spool.stats()).toMatchObject({ spooled: 1, memory: 1 });
    unlinkSync(join(dir, '0000000000000001.seg')); // room again
    spool.append([rec(3)]);
    expect(ids(spool)).toEqual(['r-000002', 'r-000003']);
    expect(errors).toEqual(['ENOSPC']); // reported once
    spool.close();
    const reopened = Spool.open(dir);
    expect(ids(reopened)).toEqual(['r-000003']); // r-000002 was only in memory
    expect(reopened.stats()).toMatchObject({ dropped: 0, corrupt: 0 });
    reopened.close();
  });

  it('a checksummed record of the wrong shape is quarantined at start, counted, and the records behind it are kept', () => {
    const dir = tempDir();
    const spool = Spool.open(dir);
    spool.append([rec(1)]);
    spool.close();
    const bad = (payload: string) => {
      const good = encodeRecord(rec(0));
      const body = Buffer.from(payload);
      const header = Buffer.from(good.subarray(0, 12));
      header.writeUInt32LE(body.length, 4);
      header.writeUInt32LE(crc32(body), 8);
      return Buffer.concat([header, body]);
    };
    const fd = openSync(join(dir, '0000000000000001.seg'), 'a');
    writeSync(fd, bad('{"id":"x","kind":"result","body":null}'));
    writeSync(fd, bad('not json at all'));
    writeSync(fd, encodeRecord(rec(2)));
    closeSync(fd);
    const reopened = Spool.open(dir);
    expect(ids(reopened)).toEqual(['r-000001', 'r-000002']);
    expect(reopened.stats()).toMatchObject({ quarantined: 2, corrupt: 0 });
    const q = readFileSync(join(dir, 'quarantine.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; record: string });
    expect(q.map((x) => x.record)).toEqual(['{"id":"x","kind":"result","body":null}', 'not json at all']);
    expect(q[0]!.reason).toMatch(/body is not an object/);
    expect(q[1]!.reason).toMatch(/not JSON/);
    reopened.close();
    expect(Spool.open(dir).stats()).toMatchObject({ quarantined: 2, spooled: 2 }); // not counted again
  });

  it('removes sent segments and compacts the acks log to what is still needed', () => {
    const dir = tempDir();
    const spool = Spool.open(dir, { segmentBytes: 10 * L, maxBytes: 1000 * L });
    for (let i = 1; i <= 30; i++) spool.append([rec(i)]);
    expect(segFiles(dir)).toHaveLength(3);
    spool.ack(Array.from({ length: 15 }, (_, k) => rec(k + 1).id));
    expect(segFiles(dir)).toHaveLength(2); // segment 1 fully acknowledged: gone
    spool.close();
    const reopened = Spool.open(dir, { segmentBytes: 10 * L, maxBytes: 1000 * L });
    // Only acks of records still present in a segment stay in the log: 11..15.
    expect(readFileSync(join(dir, 'acks.log'), 'utf8')).toBe(['r-000011', 'r-000012', 'r-000013', 'r-000014', 'r-000015'].map((x) => x + '\n').join(''));
    expect(ids(reopened)[0]).toBe('r-000016');
    reopened.ack(Array.from({ length: 15 }, (_, k) => rec(k + 16).id));
    expect(segFiles(dir)).toEqual([]);
    expect(existsSync(join(dir, 'acks.log'))).toBe(false);
    reopened.append([rec(31)]);
    reopened.close();
    expect(ids(Spool.open(dir))).toEqual(['r-000031']);
  });

  // Issue 23 item 7: segments were world-readable (0644) when the agent ran by hand with umask 022.
  it('keeps its files to the owner: directory 0700, every file 0600, whatever the umask; an older open spool is closed', (ctx) => {
    // The test's own umask must let others read (022 here), or it shows nothing (workers cannot set it).
    const umask = parseInt(/^Umask:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '77', 8);
    if ((umask & 0o044) !== 0) ctx.skip(`umask ${umask.toString(8)} already keeps files from others`);
    const dir = join(tempDir(), 'spool');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755); // an older agent's spool
    const spool = Spool.open(dir, { segmentBytes: 10 * L, maxBytes: 20 * L });
    for (let i = 1; i <= 30; i++) spool.append([rec(i)]); // past the cap: counters.json written
    spool.ack([rec(25).id]);
    spool.close();
    const reopened = Spool.open(dir, { segmentBytes: 10 * L, maxBytes: 20 * L }); // compacts acks.log
    reopened.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toEqual(expect.arrayContaining(['acks.log', 'counters.json']));
    expect(files.some((f) => f.endsWith('.seg'))).toBe(true);
    for (const f of files) expect([f, (statSync(join(dir, f)).mode & 0o777).toString(8)]).toEqual([f, '600']);
  });
});
