// Issue 26, against a real influxd: an agent the history guard forgot (not heard from for the
// forget time) comes back; its rewrite of a stored point is still refused and never stored, its
// identical resend is acked without writing, its new point is stored. Through the collector's
// own encoder, writer and guard; the guard's clock is injected (no sleeps), and it remembers no
// point by itself (maxKnown 0), so only InfluxDB can answer for the stored one.
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { influxdFixture } from '../../test/support/fixture.js';
import { hello, result } from '../../test/support/messages.js';
import { HistoryConflictError, HistoryGuard } from './history.js';
import { lineWriter, rawQuery, type RawQuery } from './http.js';
import { identityTags, StreamEncoder } from './points.js';
import { BatchWriter } from './writer.js';

const DB = 'history_forget';
const DAY = 86_400_000;
const fx = influxdFixture('vo-history-forget-');
let query: RawQuery;

beforeAll(async () => {
  query = rawQuery({ url: fx.influxd.url, database: DB });
  await query(`CREATE DATABASE "${DB}"`);
}, 60_000);

describe('history guard: a forgotten agent that returns (real influxd)', () => {
  it('its rewrite of a stored point is refused and not stored; its resend is acked; its new point is stored', async () => {
    let t = 0;
    const statements: string[] = [];
    const counted: RawQuery = (q) => {
      statements.push(...q.split('; '));
      return query(q);
    };
    const guard = new HistoryGuard(counted, 0, undefined, 20_000, { afterMs: DAY, now: () => t });
    const writer = new BatchWriter(lineWriter({ url: fx.influxd.url, database: DB }), { log: pino({ level: 'silent' }), guard });
    const send = (agent: string, id: string, ts: string, eps: number) =>
      new Promise<Error | null>((resolve) =>
        writer.write(
          new StreamEncoder(identityTags(hello({ agent_id: agent }))).result(result(id, { timestamp_ns: ts, fields: { events_per_sec: eps } })),
          (err) => resolve(err ?? null),
        ),
      );
    const T1 = '1750000000000000000';
    const T2 = '1750000060000000000';
    expect(await send('gone', 'g1', T1, 100)).toBeNull();
    expect(await send('active', 'a1', T1, 100)).toBeNull();
    expect(guard.agentsKnown).toBe(2);

    // A day later 'gone' was not heard from: the next batch (of 'active') forgets it.
    t = DAY;
    expect(await send('active', 'a2', T2, 100)).toBeNull();
    expect([guard.agentsKnown, guard.seriesKnown]).toEqual([1, 1]);

    // 'gone' returns (no hello here): every point of it is checked against InfluxDB.
    const before = statements.length;
    const forged = await send('gone', 'g1', T1, 1);
    expect(forged).toBeInstanceOf(HistoryConflictError);
    expect(statements.slice(before).some((s) => s.includes(`"agent" = 'gone'`) && s.includes('ORDER BY time DESC LIMIT 1'))).toBe(true);
    expect(await send('gone', 'g1', T1, 100)).toBeNull(); // the same content: acked, not written
    expect(await send('gone', 'g2', T2, 200)).toBeNull();
    await writer.close(10_000);

    const answer = await query(`SELECT "result_id", "events_per_sec" FROM "sysbench" WHERE "agent" = 'gone'`);
    expect(answer.results?.[0]?.series?.[0]?.values).toEqual([
      [T1, 'g1', 100],
      [T2, 'g2', 200],
    ]);
    expect(guard.conflicts).toBe(1);
    expect(guard.sameResends).toBe(1);
  }, 120_000);
});
