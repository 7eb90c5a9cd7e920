// The agent's spool: appends per second with fsync (one record per append, as the agent
// spools each interval sample and result), and replay — Spool.open on a spool of 100 000
// unacknowledged records, then reading every pending record back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../agent/spool/spool.js';
import type { SpoolRecord } from '../agent/spool/record.js';
import { simMessage } from './messages.js';
import { sig } from './stats.js';
import type { BenchSection } from './types.js';

function record(k: number, base: bigint): SpoolRecord {
  const m = simMessage('bench-spool', k, base);
  return m.result
    ? { id: m.result.id!, kind: 'result', body: m.result as Record<string, unknown> }
    : { id: m.sample!.id!, kind: 'sample', body: m.sample as Record<string, unknown> };
}

export async function benchSpool(opts: { appendSeconds?: number; replayRecords?: number } = {}): Promise<BenchSection> {
  const appendSeconds = opts.appendSeconds ?? 3;
  const replayRecords = opts.replayRecords ?? 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'vo-bench-spool-'));
  const base = BigInt(Date.now()) * 1_000_000n;
  try {
    // Appends with fsync, as the agent uses the spool, for a fixed time.
    const live = Spool.open(join(dir, 'append'));
    let appended = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < appendSeconds * 1000) live.append([record(appended++, base)]);
    const appendRate = appended / ((performance.now() - t0) / 1000);
    live.close();

    // Replay: build a big spool quickly (no fsync: the format is the same), then time recovery.
    const big = Spool.open(join(dir, 'replay'), { fsync: false, maxBytes: 1024 * 2 ** 20 });
    for (let k = 0; k < replayRecords; k += 1000) big.append(Array.from({ length: Math.min(1000, replayRecords - k) }, (_, i) => record(k + i, base)));
    const bytes = big.stats().bytes;
    big.close();
    const r0 = performance.now();
    const reopened = Spool.open(join(dir, 'replay'), { maxBytes: 1024 * 2 ** 20 });
    const openMs = performance.now() - r0;
    let read = 0;
    for (const _ of reopened.pending()) read++;
    const replayMs = performance.now() - r0;
    reopened.close();
    if (read !== replayRecords) throw new Error(`spool replay returned ${read} records, expected ${replayRecords}`);
    return {
      title: 'Spool',
      method:
        `Appends: one real-shaped record per append() with fsync (the agent's setting) for ${appendSeconds} s on ${tmpdir()}. ` +
        `Replay: a spool of ${replayRecords} records (${sig(bytes / 2 ** 20)} MiB) reopened with Spool.open (scan, checksums, acks log) and every pending() record read and parsed.`,
      results: [
        { name: 'appends with fsync', value: Math.round(appendRate), unit: 'records/s' },
        { name: `Spool.open of ${replayRecords} records`, value: Math.round(openMs), unit: 'ms' },
        { name: 'replay (open + read all pending)', value: Math.round(replayRecords / (replayMs / 1000)), unit: 'records/s' },
      ],
      notes: [
        `An agent produces about one record per second per running test, so ${Math.round(appendRate)} appends/s is ${Math.round(appendRate)}× what it needs.`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
