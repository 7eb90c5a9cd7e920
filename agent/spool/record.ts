// The spool's record format, one per appended result or sample:
//   magic 'VO' (2 bytes), format version (1), reserved (1), payload length (u32 LE),
//   CRC-32 of the payload (u32 LE), payload (JSON of SpoolRecord).
// The decoder finds every valid record of a segment and reports the damaged regions between
// them: it resynchronises on the next magic whose checksum holds.
import { crc32 } from 'node:zlib';

export type RecordKind = 'result' | 'sample';

export interface SpoolRecord {
  id: string;
  kind: RecordKind;
  /** The proto message body (Result or IntervalSample), exactly as it will be sent. */
  body: Record<string, unknown>;
}

const MAGIC0 = 0x56; // 'V'
const MAGIC1 = 0x4f; // 'O'
const FORMAT = 1;
export const HEADER = 12;
export const MAX_RECORD = 4 * 1024 * 1024;
export function encodeRecord(record: SpoolRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const header = Buffer.alloc(HEADER);
  header[0] = MAGIC0;
  header[1] = MAGIC1;
  header[2] = FORMAT;
  header.writeUInt32LE(payload.length, 4);
  header.writeUInt32LE(crc32(payload), 8);
  return Buffer.concat([header, payload]);
}

export interface Decoded {
  record: SpoolRecord;
  offset: number;
  length: number;
}

/** Why a checksummed payload is not a record this agent can send (undefined: it is one). */
function shapeProblem(record: unknown): string | undefined {
  const r = record as Partial<SpoolRecord> | null;
  if (typeof r !== 'object' || r === null) return 'not an object';
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 256) return 'no usable id';
  if (r.kind !== 'result' && r.kind !== 'sample') return `unknown kind ${JSON.stringify(r.kind)?.slice(0, 40)}`;
  if (typeof r.body !== 'object' || r.body === null || Array.isArray(r.body)) return 'body is not an object';
  if (r.body.id !== r.id) return 'body.id differs from the record id';
  return undefined;
}

/**
 * Reads every valid record of a segment; reports bad regions; returns where valid data ends.
 * A record whose checksum holds but whose payload is not a record (undecodable JSON, another
 * shape) goes to onUndecodable, when given, and is skipped whole; without it, it is a bad region.
 */
export function decodeSegment(
  buf: Buffer,
  onBad: (offset: number, detail: string) => void,
  onUndecodable?: (offset: number, payload: string, problem: string) => void,
): { records: Decoded[]; validEnd: number } {
  const records: Decoded[] = [];
  let pos = 0;
  let validEnd = 0;
  let badSince = -1;
  const flushBad = (detail: string) => {
    if (badSince >= 0) onBad(badSince, detail);
    badSince = -1;
  };
  while (pos + HEADER <= buf.length) {
    if (buf[pos] === MAGIC0 && buf[pos + 1] === MAGIC1 && buf[pos + 2] === FORMAT) {
      const len = buf.readUInt32LE(pos + 4);
      if (len <= MAX_RECORD && pos + HEADER + len <= buf.length) {
        const payload = buf.subarray(pos + HEADER, pos + HEADER + len);
        if (crc32(payload) === buf.readUInt32LE(pos + 8)) {
          const text = payload.toString('utf8');
          let record: unknown;
          let problem: string | undefined;
          try {
            record = JSON.parse(text);
            problem = shapeProblem(record);
          } catch (err) {
            problem = `not JSON: ${(err as Error).message.slice(0, 80)}`;
          }
          if (!problem) {
            flushBad('corrupt record skipped');
            records.push({ record: record as SpoolRecord, offset: pos, length: HEADER + len });
            pos += HEADER + len;
            validEnd = pos;
            continue;
          }
          if (onUndecodable) {
            flushBad('corrupt record skipped');
            onUndecodable(pos, text, problem);
            pos += HEADER + len;
            continue;
          }
        }
      }
    }
    if (badSince < 0) badSince = pos;
    pos++;
  }
  if (badSince >= 0 || pos < buf.length) onBad(badSince >= 0 ? badSince : pos, 'torn record at the end of the segment');
  return { records, validEnd };
}

/** The payload of one whole record (header included in `record`), as text. */
export function recordPayload(record: Buffer): string {
  return record.subarray(HEADER).toString('utf8');
}
