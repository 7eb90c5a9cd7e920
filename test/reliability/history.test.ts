// Stored history is append-only (issue 16, item 2), against the real collector process and a
// real influxd: an identical resend is acknowledged and stored once; a resend of a stored id
// (or another id at the same series and timestamp) with other content is refused with
// ALREADY_EXISTS, logged, and never overwrites — also after a collector restart, when the
// check has to ask InfluxDB instead of its memory. agent_status heartbeats are history too.
// Points stored before content_hash existed are rebuilt exactly as an older collector wrote
// them (the collector's own points read back, deleted, and written again without the hash).
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentMessage, CollectorMessage__Output } from '../../proto/index.js';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { query, startCollectorProc, stopProc, type CollectorProc } from '../support/procs.js';
import { fieldSet, seriesKey } from '../../collector/influx/line.js';
import { lineWriter, rawQuery } from '../../collector/influx/http.js';
import { hello, openStream, rawClient, validResult } from '../support/raw-client.js';
import { measurementRef, policyOf } from '../../schema/retention.js';
import type { Measurement } from '../../schema/influx.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

const fx = influxdFixture('vo-rel-history-');
let collector: CollectorProc | undefined;

afterAll(async () => {
  await stopProc(collector);
});

/** One stream: hello, the messages, then waits for an answer (ack or reject) to every id. */
async function send(
  messages: AgentMessage[],
  ids: string[],
  agent = 'hist',
): Promise<{ acked: string[]; rejected: Array<{ id: string; code: number; reason: string }> }> {
  const client = rawClient(collector!.address);
  const s = openStream(client);
  s.call.write({ hello: hello({ agent_id: agent, group: 'g' }) });
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
    results: await query(fx.influxd.url, `SELECT "result_id", "events_per_sec" FROM "sysbench" WHERE "agent" = 'hist'`),
    samples: await query(fx.influxd.url, `SELECT "sample_id", "events_per_sec" FROM ${SAMPLES} WHERE "agent" = 'hist'`),
  };
}

describe('append-only history', () => {
  it('identical resends are acked once stored; different content for a stored point is refused and never overwrites, before and after a collector restart', async () => {
    collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
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
    collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
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
      spooled: 0,
      dropped: 0,
      rejected: rejected,
      lost: 0,
      duplicated: 0,
      note: `${rejected} refused with ALREADY_EXISTS (first value kept: 22988.76 not replaced by 1); identical resends acked without a second point`,
    });
  });
});

const status = (id: string, ts: string, dropped: number) =>
  ({ status: { id, timestamp_ns: ts, spooled: '3', dropped: String(dropped), corrupt: '0', rejected: '0', last_run_ok: true, state: 'idle' } }) as AgentMessage;

/** Every point of `agent` in these measurements, rewritten as a collector before content_hash wrote it. */
async function makeLegacy(agent: string, measurements: Measurement[]): Promise<number> {
  const target = { url: fx.influxd.url, database: 'virt_overhead' };
  let written = 0;
  for (const m of measurements) {
    const answer = await rawQuery(target)(`SELECT * FROM ${measurementRef(m)} WHERE "agent" = '${agent}' GROUP BY *`);
    const lines: string[] = [];
    for (const series of answer.results?.[0]?.series ?? []) {
      for (const row of series.values) {
        const fields: Record<string, number | string | boolean> = {};
        series.columns.forEach((c, i) => {
          if (i > 0 && c !== 'content_hash' && row[i] !== null) fields[c] = row[i] as number | string | boolean;
        });
        lines.push(`${seriesKey(m, series.tags ?? {})} ${fieldSet(fields)} ${String(row[0])}`);
      }
    }
    await rawQuery(target)(`DELETE FROM "${m}" WHERE "agent" = '${agent}'`);
    await lineWriter(target)(lines.join('\n'), policyOf(m));
    const hashes = await query(fx.influxd.url, `SELECT "content_hash" FROM ${measurementRef(m)} WHERE "agent" = '${agent}'`);
    if (hashes.length) throw new Error(`${m}: content_hash still stored after the rewrite`);
    written += lines.length;
  }
  return written;
}

describe('append-only: agent_status heartbeats, and points stored before content_hash existed', () => {
  it('a heartbeat cannot be rewritten; a resend of a pre-hash point is compared value by value: the same is acked without a write, another is refused', async () => {
    await stopProc(collector);
    collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
    const T0 = String(BigInt(TS) + 60_000_000_000n);
    const T1 = String(BigInt(T0) + 1_000_000_000n);
    const r = (v: number) => result('old-r1', v, T0);
    const smp = (v: number) => ({ ...sample(0, v), sample: { ...sample(0, v).sample!, id: 'old-s1', timestamp_ns: T1 } }) as AgentMessage;
    // Heartbeats (a new collector's own check): identical resend acked, other counts refused.
    const first = await send([status('old-st1', T0, 0), r(100.25), smp(7.5)], ['old-st1', 'old-r1', 'old-s1'], 'old');
    expect(first.acked.sort()).toEqual(['old-r1', 'old-s1', 'old-st1']);
    const hidden = await send([status('old-st1b', T0, 0), status('old-st1c', T0, 99)], ['old-st1b', 'old-st1c'], 'old');
    expect(hidden.acked).toEqual(['old-st1b']);
    expect(hidden.rejected).toEqual([{ id: 'old-st1c', code: grpc.status.ALREADY_EXISTS, reason: expect.stringMatching(/agent_status .*append-only/) }]);

    // The same three points as an older collector stored them (no content_hash), and a
    // collector that never saw them.
    await stopProc(collector);
    expect(await makeLegacy('old', ['sysbench', 'sysbench_interval', 'agent_status'])).toBe(3);
    collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
    const same = await send([r(100.25), smp(7.5), status('old-st1d', T0, 0)], ['old-r1', 'old-s1', 'old-st1d'], 'old');
    expect(same.acked.sort()).toEqual(['old-r1', 'old-s1', 'old-st1d']);
    const other = await send([r(1), smp(8), status('old-st1e', T0, 5), result('old-r9', 100.25, T0)], ['old-r1', 'old-s1', 'old-st1e', 'old-r9'], 'old');
    expect(other.acked).toEqual([]);
    expect(other.rejected.map((x) => [x.id, x.code]).sort()).toEqual([
      ['old-r1', grpc.status.ALREADY_EXISTS],
      ['old-r9', grpc.status.ALREADY_EXISTS], // another record id at the slot: not the same record
      ['old-s1', grpc.status.ALREADY_EXISTS],
      ['old-st1e', grpc.status.ALREADY_EXISTS],
    ]);
    // Still exactly the three points as first stored, still without a hash (nothing written over).
    const results = await query(fx.influxd.url, `SELECT "result_id", "events_per_sec", "content_hash" FROM "sysbench" WHERE "agent" = 'old'`);
    const samples = await query(fx.influxd.url, `SELECT "sample_id", "events_per_sec", "content_hash" FROM ${SAMPLES} WHERE "agent" = 'old'`);
    const statuses = await query(fx.influxd.url, `SELECT "dropped", "content_hash" FROM "agent_status" WHERE "agent" = 'old'`);
    expect([...results]).toEqual([expect.objectContaining({ result_id: 'old-r1', events_per_sec: 100.25, content_hash: null })]);
    expect([...samples]).toEqual([expect.objectContaining({ sample_id: 'old-s1', events_per_sec: 7.5, content_hash: null })]);
    expect([...statuses]).toEqual([expect.objectContaining({ dropped: 0, content_hash: null })]);
    const sent = 3 + 2 + 3 + 4;
    const acked = first.acked.length + hidden.acked.length + same.acked.length;
    const refused = hidden.rejected.length + other.rejected.length;
    expect({ sent, acked, refused }).toEqual({ sent: 12, acked: 7, refused: 5 });
    recordFigures('append-only: agent_status rewrite attempts; resends of points stored before content_hash (result, sample, heartbeat)', {
      sent,
      acknowledged: acked,
      stored: results.length + samples.length + statuses.length,
      spooled: 0,
      dropped: 0,
      rejected: refused,
      lost: 0,
      duplicated: 0,
      note: `refused ${refused} with ALREADY_EXISTS (a heartbeat with other counts; changed values and another id at a pre-hash point); identical resends of the 3 pre-hash points acked without writing (they stay without a hash)`,
    });
  });
});
