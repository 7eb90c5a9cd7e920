// Stored history is append-only (issue 16, item 2), against the real collector process and a
// real influxd: an identical resend is acknowledged and stored once; a resend of a stored id
// (or another id at the same series and timestamp) with other content is refused with
// ALREADY_EXISTS, logged, and never overwrites — also after a collector restart, when the
// check has to ask InfluxDB instead of its memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMessage, CollectorMessage__Output } from '../../proto/index.js';
import { startInfluxd, type InfluxdHandle } from '../../collector/influx/influxd.js';
import { recordFigures } from './support/figures.js';
import { query, startCollectorProc, stopProc, type CollectorProc } from './support/procs.js';
import { hello, openStream, rawClient, validResult } from './support/raw-client.js';
import { measurementRef } from '../../schema/retention.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

const dir = mkdtempSync(join(tmpdir(), 'vo-rel-history-'));
let influxd: InfluxdHandle;
let collector: CollectorProc | undefined;

beforeAll(async () => {
  influxd = await startInfluxd({ dir: join(dir, 'influx') });
});
afterAll(async () => {
  await stopProc(collector);
  await influxd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One stream: hello, the messages, then waits for an answer (ack or reject) to every id. */
async function send(messages: AgentMessage[], ids: string[]): Promise<{ acked: string[]; rejected: Array<{ id: string; code: number; reason: string }> }> {
  const client = rawClient(collector!.address);
  const s = openStream(client);
  s.call.write({ hello: hello({ agent_id: 'hist', group: 'g' }) });
  await s.waitFor((m) => Boolean(m.welcome));
  for (const m of messages) s.call.write(m);
  const answered = (m: CollectorMessage__Output) => (m.ack?.ids ?? []).concat(m.reject ? [m.reject.id] : []);
  const want = new Set(ids);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`answers missing: ${[...want].slice(0, 5).join(', ')}`)), 60_000);
    const check = () => {
      for (const m of s.received) for (const id of answered(m)) want.delete(id);
      if (want.size === 0) {
        clearTimeout(t);
        resolve();
      } else setTimeout(check, 20);
    };
    check();
  });
  s.close();
  await s.closed;
  client.close();
  return {
    acked: s.received.flatMap((m) => m.ack?.ids ?? []),
    rejected: s.received.filter((m) => m.reject).map((m) => ({ id: m.reject!.id, code: m.reject!.code, reason: m.reject!.reason })),
  };
}

const TS = String(BigInt(Date.now() - 3_600_000) * 1_000_000n);
const result = (id: string, value: number, ts = TS) => validResult(id, { timestamp_ns: ts, fields: { events_per_sec: value, total_time_s: 10 } });
const sample = (i: number, value: number) =>
  ({
    sample: {
      id: `hist-s${i}`,
      timestamp_ns: String(BigInt(TS) + 1000n + BigInt(i)),
      run_id: 'raw-run',
      test: 'cpu',
      profile: 'raw',
      trial: 1,
      fields: { elapsed_s: i + 1, events_per_sec: value },
      sysbench_version: '1.0.20',
    },
  }) as AgentMessage;

async function stored(): Promise<{ results: Array<Record<string, unknown>>; samples: Array<Record<string, unknown>> }> {
  return {
    results: await query(influxd.url, `SELECT "result_id", "events_per_sec" FROM "sysbench" WHERE "agent" = 'hist'`),
    samples: await query(influxd.url, `SELECT "sample_id", "events_per_sec" FROM ${SAMPLES} WHERE "agent" = 'hist'`),
  };
}

describe('append-only history', () => {
  it('identical resends are acked once stored; different content for a stored point is refused and never overwrites, before and after a collector restart', async () => {
    collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', influxd.url]);
    let sent = 0;
    let acked = 0;
    let rejected = 0;
    const tally = <T extends { acked: string[]; rejected: unknown[] }>(r: T, n: number): T => {
      sent += n;
      acked += r.acked.length;
      rejected += r.rejected.length;
      return r;
    };
    // The case: 22988.76 stored, then the same id and timestamp with 1.
    expect(tally(await send([result('hist-r1', 22988.76)], ['hist-r1']), 1).acked).toEqual(['hist-r1']);
    for (let k = 0; k < 2; k++) expect(tally(await send([result('hist-r1', 22988.76)], ['hist-r1']), 1).acked).toEqual(['hist-r1']);
    const forged = tally(await send([result('hist-r1', 1)], ['hist-r1']), 1);
    expect(forged.acked).toEqual([]);
    expect(forged.rejected).toEqual([{ id: 'hist-r1', code: grpc.status.ALREADY_EXISTS, reason: expect.stringMatching(/append-only/) }]);
    // Another id at the same series and timestamp would replace the point just the same.
    const sameSlot = tally(await send([result('hist-r1-twin', 5)], ['hist-r1-twin']), 1);
    expect(sameSlot.rejected.map((r) => r.code)).toEqual([grpc.status.ALREADY_EXISTS]);
    // 100 samples in one go, then the same 100 with every other value changed.
    const ids = Array.from({ length: 100 }, (_, i) => `hist-s${i}`);
    expect(
      tally(
        await send(
          ids.map((_, i) => sample(i, i + 0.5)),
          ids,
        ),
        100,
      ).acked.length,
    ).toBe(100);
    const half = tally(
      await send(
        ids.map((_, i) => sample(i, i % 2 ? 999 : i + 0.5)),
        ids,
      ),
      100,
    );
    expect(half.acked.length).toBe(50);
    expect(half.rejected.length).toBe(50);
    expect(half.rejected.every((r) => r.code === grpc.status.ALREADY_EXISTS && Number(r.id.slice(6)) % 2 === 1)).toBe(true);

    // A new collector remembers nothing: the check now reads content_hash from InfluxDB.
    await stopProc(collector);
    collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', influxd.url]);
    const after = tally(
      await send(
        [result('hist-r1', 2), result('hist-r2', 7, String(BigInt(TS) + 5_000_000_000n)), ...ids.slice(0, 10).map((_, i) => sample(i, i % 2 ? 999 : i + 0.5))],
        ['hist-r1', 'hist-r2', ...ids.slice(0, 10)],
      ),
      12,
    );
    expect(after.rejected.map((r) => r.id).sort()).toEqual(['hist-r1', 'hist-s1', 'hist-s3', 'hist-s5', 'hist-s7', 'hist-s9']);
    expect(after.acked.sort()).toEqual(['hist-r2', 'hist-s0', 'hist-s2', 'hist-s4', 'hist-s6', 'hist-s8']);

    const { results, samples } = await stored();
    expect(results.map((r) => [r.result_id, r.events_per_sec]).sort()).toEqual([
      ['hist-r1', 22988.76],
      ['hist-r2', 7],
    ]);
    expect(samples).toHaveLength(100);
    expect(samples.every((s) => s.events_per_sec === Number(String(s.sample_id).slice(6)) + 0.5)).toBe(true);
    // Logged on the collector's side with the reason.
    expect(collector.stderr()).toMatch(/"msg":"rejected a record".*ALREADY_EXISTS|ALREADY_EXISTS.*"msg":"rejected a record"/);
    expect({ sent, acked, rejected }).toEqual({ sent: 217, acked: 1 + 2 + 100 + 50 + 6, rejected: 1 + 1 + 50 + 6 });
    recordFigures('history rewrite attempts: identical resends, changed values (results and samples), another id at the same slot; collector restarted', {
      sent,
      acknowledged: acked,
      stored: results.length + samples.length,
      lost: 0,
      duplicated: 0,
      note: `${rejected} refused with ALREADY_EXISTS (first value kept: 22988.76 not replaced by 1); identical resends acked without a second point`,
    });
  });
});
