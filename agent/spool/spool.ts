// The agent's on-disk spool: every result and interval sample is appended here (checksummed,
// fsync'd) before it is sent, and forgotten only after the collector acknowledged its id.
//
// Layout: <dir>/<16-digit sequence>.seg segment files of records (record.ts, segments.ts),
// <dir>/acks.log (ids the collector acknowledged; losing its tail only causes a harmless,
// idempotent resend), <dir>/quarantine.jsonl (records set aside, never sent again) and
// <dir>/counters.json (drops and corrupt records, persisted so the counts survive restarts).
// A torn tail (power cut, SIGKILL mid-write) or a corrupt record is skipped and counted;
// the scanner resynchronises on the next magic with a valid checksum.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  chmodSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  appendFileSync,
  ftruncateSync,
} from 'node:fs';
import { join } from 'node:path';
import { decodeSegment, encodeRecord, HEADER, MAX_RECORD, recordPayload, type SpoolRecord } from './record.js';
import { FILE_MODE, listSegments, rewriteSegment, segName } from './segments.js';

export interface SpoolStats {
  spooled: number;
  bytes: number;
  dropped: number;
  corrupt: number;
  /** Records set aside in quarantine.jsonl (refused by the collector, or undecodable). */
  quarantined: number;
  /** Of `spooled`, records only in memory because the disk refused them (lost if the agent exits). */
  memory: number;
  /** The first error code the disk gave ('' while it takes every write). */
  writeError: string;
  /**
   * Of `spooled`, records on a disk that cannot be read now (EIO): kept there, not sent by this
   * process, sent by the next start once the disk reads again.
   */
  unreadable: number;
  segments: number;
}

export interface SpoolOptions {
  /** Cap on the bytes of all segments (default 256 MiB). Past it, the oldest segments go. */
  maxBytes?: number;
  /** Size at which a new segment starts (default min(4 MiB, maxBytes/8)). */
  segmentBytes?: number;
  /** fsync every append (default true; false only for benchmarks of the format itself). */
  fsync?: boolean;
  onDrop?: (records: number, reason: string) => void;
  onCorrupt?: (segment: string, offset: number, detail: string) => void;
  /** Called once, on the first write the disk refuses (the agent stops measuring). */
  onWriteError?: (code: string, message: string) => void;
}

/** Records held in memory when the disk refuses them; past this the newest are dropped. */
const MEMORY_RECORDS = 10_000;
const IN_MEMORY = -1;

interface Entry {
  id: string;
  segment: number;
  offset: number;
  length: number;
}

interface Segment {
  seq: number;
  bytes: number;
  /** Ids of records in this segment not yet acknowledged. */
  live: Set<string>;
}

export class Spool {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsync: boolean;
  private readonly opts: SpoolOptions;
  private segments: Segment[] = [];
  /** Unacknowledged records, oldest first (Map keeps insertion order). */
  private pendingEntries = new Map<string, Entry>();
  private fd = -1;
  private counters = { dropped: 0, corrupt: 0, quarantined: 0 };
  private acksSinceCompact = 0;
  /** Records the disk refused, held until acknowledged (segment IN_MEMORY in pendingEntries). */
  private readonly memory = new Map<string, SpoolRecord>();
  private writeError = '';
  /** Records whose read failed with a disk error (see SpoolStats.unreadable). */
  private readonly unreadable = new Set<string>();

  private constructor(dir: string, opts: SpoolOptions) {
    this.dir = dir;
    this.opts = opts;
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.segmentBytes = opts.segmentBytes ?? Math.max(4096, Math.min(4 * 1024 * 1024, Math.floor(this.maxBytes / 8)));
    this.fsync = opts.fsync ?? true;
  }

  /** Opens (or creates) the spool and recovers what is in it. Never throws on corrupt data. */
  static open(dir: string, opts: SpoolOptions = {}): Spool {
    const spool = new Spool(dir, opts);
    spool.recover();
    return spool;
  }

  private recover(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // Results are nobody else's business, also when the agent runs by hand with umask 022 (a
    // spool made by an older agent is closed to others here, its files with it).
    chmodSync(this.dir, 0o700);
    try {
      const c = JSON.parse(readFileSync(join(this.dir, 'counters.json'), 'utf8')) as { dropped?: number; corrupt?: number; quarantined?: number };
      this.counters = { dropped: Number(c.dropped) || 0, corrupt: Number(c.corrupt) || 0, quarantined: Number(c.quarantined) || 0 };
    } catch {
      /* first start, or a torn counters file: start from zero */
    }
    const acked = new Set<string>();
    if (existsSync(join(this.dir, 'acks.log'))) {
      for (const line of readFileSync(join(this.dir, 'acks.log'), 'utf8').split('\n')) if (line) acked.add(line);
    }
    for (const seq of listSegments(this.dir)) {
      const path = join(this.dir, segName(seq));
      const buf = readFileSync(path);
      let bad = 0;
      const undecodable: string[] = [];
      let { records, validEnd } = decodeSegment(
        buf,
        (offset, detail) => {
          bad++;
          this.counters.corrupt++;
          this.opts.onCorrupt?.(segName(seq), offset, detail);
        },
        (offset, payload, problem) => {
          // Set aside, never in the way of the records behind it or of the agent's start.
          undecodable.push(
            JSON.stringify({ at: new Date().toISOString(), reason: `undecodable spool record (${segName(seq)} at ${offset}): ${problem}`, record: payload }),
          );
          this.opts.onCorrupt?.(segName(seq), offset, `undecodable record quarantined: ${problem}`);
        },
      );
      if (undecodable.length) this.appendQuarantine(undecodable, undecodable.length);
      if (bad + undecodable.length > 0) {
        // Rewrite the segment with only its valid records, so that new appends start on a
        // record boundary and the same damage is not counted again at the next start.
        const rewritten = this.tryDisk(() => ({ records, validEnd } = rewriteSegment(path, buf, records)));
        if (!rewritten) validEnd = buf.length; // read-only: appends fail anyway; nothing is lost
      }
      const seg: Segment = { seq, bytes: validEnd, live: new Set() };
      for (const d of records) {
        if (acked.has(d.record.id) || this.pendingEntries.has(d.record.id)) continue;
        seg.live.add(d.record.id);
        this.pendingEntries.set(d.record.id, { id: d.record.id, segment: seq, offset: d.offset, length: d.length });
      }
      this.segments.push(seg);
    }
    this.saveCounters();
    this.removeDeadSegments();
    this.compactAcks();
  }

  private saveCounters(): void {
    const tmp = join(this.dir, 'counters.json.tmp');
    this.tryDisk(() => {
      writeFileSync(tmp, JSON.stringify(this.counters), { mode: FILE_MODE });
      renameSync(tmp, join(this.dir, 'counters.json'));
    });
  }

  /**
   * Book-keeping writes (acks, counters, deleting sent segments): a disk that refuses them
   * costs at most a resend, never a record, so the error is remembered and the agent goes on.
   */
  private tryDisk(write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!code) throw err;
      this.failed(code, (err as Error).message);
      return false;
    }
  }

  private current(): Segment {
    let seg = this.segments[this.segments.length - 1];
    if (!seg || seg.bytes >= this.segmentBytes) {
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
      seg = { seq: seg ? seg.seq + 1 : 1, bytes: 0, live: new Set() };
      this.segments.push(seg);
    }
    if (this.fd < 0) this.fd = openSync(join(this.dir, segName(seg.seq)), 'a', FILE_MODE);
    return seg;
  }

  /**
   * Appends records durably (one fsync for the batch). Returns when they are on disk. When the
   * disk refuses (read-only, EIO, ENOSPC, ...) nothing already spooled is touched: the partial
   * record is cut off, the records that could not be written are held in memory (still sent
   * and acked like the others, up to MEMORY_RECORDS) and `writeError` says why, so that the
   * agent stops measuring and says what it could not keep.
   */
  append(records: SpoolRecord[]): void {
    if (records.length === 0) return;
    let i = 0;
    let seg: Segment | undefined;
    try {
      for (; i < records.length; i++) {
        const record = records[i]!;
        const buf = encodeRecord(record);
        if (buf.length - HEADER > MAX_RECORD) throw new Error(`spool: record ${record.id} is ${buf.length} bytes, over the ${MAX_RECORD}-byte limit`);
        seg = this.current();
        for (let done = 0; done < buf.length;) done += writeSync(this.fd, buf, done);
        if (!this.pendingEntries.has(record.id)) {
          this.pendingEntries.set(record.id, { id: record.id, segment: seg.seq, offset: seg.bytes, length: buf.length });
          seg.live.add(record.id);
        }
        seg.bytes += buf.length;
      }
      if (this.fsync && this.fd >= 0) fsyncSync(this.fd);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!code) throw err; // not the disk: a bug or an oversize record
      this.failed(code, (err as Error).message);
      if (seg && this.fd >= 0) this.rollback(seg);
      this.holdInMemory(records.slice(i));
    }
    this.enforceCap();
  }

  /** Remembers the first write failure and reports it once. */
  private failed(code: string, message: string): void {
    if (this.writeError) return;
    this.writeError = code;
    this.opts.onWriteError?.(code, message);
  }

  /** Records the disk refused: kept in memory to be sent; past the bound the newest are dropped. */
  private holdInMemory(records: SpoolRecord[]): void {
    let lost = 0;
    for (const r of records) {
      if (this.pendingEntries.has(r.id)) continue;
      if (this.memory.size >= MEMORY_RECORDS) {
        lost++;
        continue;
      }
      this.memory.set(r.id, r);
      this.pendingEntries.set(r.id, { id: r.id, segment: IN_MEMORY, offset: 0, length: 0 });
    }
    if (lost) {
      this.counters.dropped += lost;
      this.opts.onDrop?.(
        lost,
        `dropped the newest ${lost}: the spool cannot be written (${this.writeError}) and ${MEMORY_RECORDS} records are already held in memory`,
      );
      this.saveCounters();
    }
  }

  /** After a failed write: truncates the segment back to its last whole record, reopens later. */
  private rollback(seg: Segment): void {
    try {
      ftruncateSync(this.fd, seg.bytes);
    } catch {
      /* nothing more to do: the scan at the next start skips a torn tail anyway */
    }
    try {
      closeSync(this.fd);
    } catch {
      /* EIO on close: the descriptor is gone either way */
    }
    this.fd = -1;
  }

  /** Drops the oldest segments until the spool fits its cap; counts what was lost. */
  private enforceCap(): void {
    let total = this.segments.reduce((n, s) => n + s.bytes, 0);
    while (total > this.maxBytes && this.segments.length > 1) {
      const oldest = this.segments.shift()!;
      total -= oldest.bytes;
      for (const id of oldest.live) this.pendingEntries.delete(id);
      if (oldest.live.size > 0) {
        this.counters.dropped += oldest.live.size;
        this.opts.onDrop?.(oldest.live.size, `dropped the oldest ${oldest.live.size}: spool over its cap of ${this.maxBytes} bytes`);
      }
      this.tryDisk(() => unlinkSync(join(this.dir, segName(oldest.seq))));
    }
    this.saveCounters();
  }

  /**
   * The unacknowledged records, oldest first, read from disk. A record the disk cannot give back
   * (EIO: the disk is failing) is skipped and counted as unreadable, never thrown out of here:
   * the records behind it, and those held in memory, still go.
   */
  *pending(limit = Infinity, skip?: (id: string) => boolean): Generator<SpoolRecord> {
    let n = 0;
    let fd = -1;
    let openSeg = -1;
    const closeOpen = () => {
      if (fd >= 0) this.tryDisk(() => closeSync(fd));
      fd = -1;
      openSeg = -1;
    };
    try {
      for (const entry of this.pendingEntries.values()) {
        // Skipped ids (already in flight) are not read from disk and do not count.
        if (skip?.(entry.id) || this.unreadable.has(entry.id)) continue;
        if (n >= limit) return;
        const held = this.memory.get(entry.id);
        if (held) {
          n++;
          yield held;
          continue;
        }
        let record: SpoolRecord;
        try {
          if (entry.segment !== openSeg) {
            closeOpen();
            fd = openSync(join(this.dir, segName(entry.segment)), 'r');
            openSeg = entry.segment;
          }
          const buf = Buffer.alloc(entry.length);
          readSync(fd, buf, 0, entry.length, entry.offset);
          record = JSON.parse(recordPayload(buf)) as SpoolRecord;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (!code) throw err;
          this.failed(code, (err as Error).message);
          this.unreadable.add(entry.id);
          closeOpen();
          continue;
        }
        n++;
        yield record;
      }
    } finally {
      closeOpen();
    }
  }

  /**
   * Sets records aside: each goes, with the reason, as one JSON line to quarantine.jsonl (kept
   * for an operator, never sent again), then leaves the spool like an acknowledged record.
   * A record is never simply deleted because the collector refused it.
   */
  quarantine(ids: string[], reason: string): void {
    const wanted = new Set(ids.filter((id) => this.pendingEntries.has(id)));
    if (wanted.size === 0) return;
    const lines: string[] = [];
    const at = new Date().toISOString();
    for (const id of wanted) lines.push(JSON.stringify({ at, reason, record: this.readEntry(this.pendingEntries.get(id)!) }));
    this.appendQuarantine(lines, wanted.size);
    this.ack([...wanted]);
  }

  /** Appends lines to quarantine.jsonl (fsync'd); counts them; a failed write is counted as dropped. */
  private appendQuarantine(lines: string[], records: number): void {
    try {
      const fd = openSync(join(this.dir, 'quarantine.jsonl'), 'a', FILE_MODE);
      try {
        writeSync(fd, lines.join('\n') + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.counters.quarantined += records;
    } catch (err) {
      this.counters.dropped += records;
      this.opts.onDrop?.(records, `cannot write quarantine.jsonl: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    this.saveCounters();
  }

  /** One record's JSON as stored (parsed when it parses, raw text otherwise; the error when the disk fails). */
  private readEntry(entry: Entry): unknown {
    const held = this.memory.get(entry.id);
    if (held) return held;
    try {
      return this.readEntryFromDisk(entry);
    } catch (err) {
      if (!(err as NodeJS.ErrnoException).code) throw err;
      return { id: entry.id, unreadable: (err as Error).message };
    }
  }

  private readEntryFromDisk(entry: Entry): unknown {
    const fd = openSync(join(this.dir, segName(entry.segment)), 'r');
    try {
      const buf = Buffer.alloc(entry.length);
      readSync(fd, buf, 0, entry.length, entry.offset);
      const text = recordPayload(buf);
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    } finally {
      closeSync(fd);
    }
  }

  has(id: string): boolean {
    return this.pendingEntries.has(id);
  }

  /** Forgets acknowledged records; deletes segments with nothing left to send. */
  ack(ids: string[]): void {
    const known = ids.filter((id) => this.pendingEntries.has(id));
    if (known.length === 0) return;
    // When the disk refuses, the ack is only kept in memory: after a restart the record is
    // resent, and the collector acknowledges an identical resend without writing it again.
    this.tryDisk(() => appendFileSync(join(this.dir, 'acks.log'), known.join('\n') + '\n', { mode: FILE_MODE }));
    for (const id of known) {
      this.unreadable.delete(id);
      if (this.memory.delete(id)) {
        this.pendingEntries.delete(id);
        continue;
      }
      const entry = this.pendingEntries.get(id)!;
      this.pendingEntries.delete(id);
      this.segments.find((s) => s.seq === entry.segment)?.live.delete(id);
    }
    this.acksSinceCompact += known.length;
    this.removeDeadSegments();
    if (this.acksSinceCompact > 10_000 || this.pendingEntries.size === 0) this.compactAcks();
  }

  private removeDeadSegments(): void {
    const last = this.segments[this.segments.length - 1];
    this.segments = this.segments.filter((s) => {
      if (s.live.size > 0 || s === last) return true;
      this.tryDisk(() => unlinkSync(join(this.dir, segName(s.seq))));
      return false;
    });
  }

  /** Rewrites acks.log with only the ids still found in live segments. */
  private compactAcks(): void {
    const path = join(this.dir, 'acks.log');
    if (!existsSync(path)) return;
    const last = this.segments[this.segments.length - 1];
    if (this.pendingEntries.size === 0 && last && last.live.size === 0 && last.bytes > 0) {
      // Everything sent: start a fresh segment and forget all acks.
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
      if (!this.tryDisk(() => unlinkSync(join(this.dir, segName(last.seq))))) return;
      this.segments = [];
      this.tryDisk(() => unlinkSync(path));
      this.acksSinceCompact = 0;
      return;
    }
    const stillNeeded = new Set<string>();
    const read = this.tryDisk(() => {
      for (const seg of this.segments) {
        // Acked ids of a segment that still exists must stay in the log.
        if (seg.bytes === 0) continue;
        const buf = readFileSync(join(this.dir, segName(seg.seq)));
        for (const d of decodeSegment(buf, () => {}).records) if (!seg.live.has(d.record.id)) stillNeeded.add(d.record.id);
      }
    });
    if (!read) return; // a failing disk: compacted at a later start
    const tmp = path + '.tmp';
    const ok = this.tryDisk(() => {
      writeFileSync(tmp, [...stillNeeded].map((id) => id + '\n').join(''), { mode: FILE_MODE });
      renameSync(tmp, path);
    });
    if (!ok) return;
    this.acksSinceCompact = 0;
  }

  stats(): SpoolStats {
    return {
      spooled: this.pendingEntries.size,
      bytes: this.segments.reduce((n, s) => n + s.bytes, 0),
      dropped: this.counters.dropped,
      corrupt: this.counters.corrupt,
      quarantined: this.counters.quarantined,
      memory: this.memory.size,
      writeError: this.writeError,
      unreadable: this.unreadable.size,
      segments: this.segments.length,
    };
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Total bytes in a spool folder, for tests and status. */
export function spoolDiskBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}
