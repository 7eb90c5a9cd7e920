// The store contract, run the same way against InfluxDB (influx.ts, a real influxd) and against
// the in-memory store the calculators' unit tests use (test/support/memory-store.ts): both must
// answer every operation alike, or the unit tests would test another database than production.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { DEFAULT_RETENTION } from '../../schema/retention.js';
import { MemoryStore } from '../../test/support/memory-store.js';
import { rawQuery } from '../influx/http.js';
import { nodeHttpQueryChunks } from '../influx/node-query.js';
import { setUpRetention } from '../influx/setup.js';
import { usePrivateInfluxd } from '../../test/support/private-influxd.js';
import { influxStore } from './influx.js';
import type { SeriesAnswer, Store, StorePoint } from './store.js';

const DB = 'store_contract';
const db = usePrivateInfluxd(DB);
const T = (BigInt(Date.now()) / 1000n) * 1_000_000_000n - 3_600_000_000_000n; // an hour ago: inside the short policy
const S = 1_000_000_000n;

const overhead = (agent: string, metric: string, at: bigint, fields: StorePoint['fields'], group = `o'k "g"`): StorePoint => ({
  measurement: 'overhead',
  tags: { group, agent, test: 'cpu', profile: 'seed', metric, baseline_agent: 'host', variant: '' },
  fields,
  timestamp: at.toString(),
});

/** The same operations on a store; returns every answer. */
async function script(store: Store): Promise<unknown[]> {
  const out: unknown[] = [];
  await store.write([
    overhead('vm1', 'eps', T, { ratio: 0.5, run_id: 'r1', threads: 1 }),
    overhead('vm1', 'lat', T, { ratio: 2, run_id: 'r1' }),
    overhead('vm1', 'eps', T + 10n * S, { ratio: 0.6, run_id: 'r2', ok: true }),
    overhead('vm2', 'eps', T + 5n * S, { ratio: 0.7, run_id: 'r3' }),
    overhead('vm3', 'eps', T + 5n * S, { ratio: 0.9, run_id: 'r9' }, 'other'),
  ]);
  // Same series and time: fields merge.
  await store.write([overhead('vm1', 'eps', T, { verdict: 'worse' })]);
  const g = `o'k "g"`;
  out.push(await store.select({ measurement: 'overhead', where: { tags: { group: g } } }));
  out.push(await store.select({ measurement: 'overhead', where: { tags: { group: g, agent: 'vm1' }, from: T + S, to: T + 10n * S } }));
  out.push(await store.select({ measurement: 'overhead', where: { after: T }, fields: ['threads', 'ok'] })); // no row without either field
  out.push(await store.select({ measurement: 'overhead', where: { tags: { variant: '' } }, fields: ['run_id'], newest: 1 }));
  out.push(await store.select({ measurement: 'overhead', fields: ['ratio'], newest: 1, groupBy: ['group', 'agent'] }));
  out.push(await store.tagValues('overhead', 'agent', { tags: { group: g } }));
  out.push(await store.tagValues('overhead', 'group'));
  await store.delete('overhead', { tags: { agent: 'vm1' }, from: T, to: T });
  out.push(await store.select({ measurement: 'overhead', fields: ['run_id'] }));
  // A tag matched against a set (one read for many agents), alone and beside an exact tag.
  out.push(await store.select({ measurement: 'overhead', where: { tags: { agent: ['vm2', 'vm3', `no'one`] } }, fields: ['run_id'] }));
  out.push(await store.select({ measurement: 'overhead', where: { tags: { group: g, agent: ['vm1', 'vm3'] } }, fields: ['run_id'] }));
  out.push(await store.tagValues('overhead', 'agent', { tags: { agent: ['vm1', 'vm3'] } }));
  // Several selects in one request: each answer in its place, an empty one too.
  out.push(
    await store.selectMany([
      { measurement: 'overhead', where: { tags: { agent: ['vm1'] } }, fields: ['run_id'] },
      { measurement: 'overhead', where: { tags: { group: 'none' } } },
      { measurement: 'overhead', where: { after: T }, fields: ['ratio'], newest: 1, groupBy: ['group'] },
    ]),
  );
  out.push(await store.selectMany([]));
  await store.delete('overhead', { tags: { agent: ['vm2', 'vm3'] } });
  out.push(await store.select({ measurement: 'overhead', fields: ['run_id'] }));
  for (const bad of [
    () => store.select({ measurement: 'overhead', where: { tags: { agent: [] } } }),
    () => store.selectMany([{ measurement: 'overhead' }, { measurement: 'overhead', where: { tags: { agent: [] } } }]),
    () => store.delete('overhead', { tags: { agent: [] } }),
  ])
    out.push(
      await bad().then(
        () => 'no error',
        (err: Error) => err.message,
      ),
    );
  // agent_silence lives in the short retention policy: written there and read back from there.
  await store.write([{ measurement: 'agent_silence', tags: { group: 'g', agent: 'vm1' }, fields: { silent_s: 3, silent: 1 }, timestamp: T.toString() }]);
  out.push(await store.select({ measurement: 'agent_silence' }));
  // Several wheres in one delete: the points any of them matches; '' matches a missing tag only.
  const d = (agent: string, at: bigint, ratio: number, variant = '') => ({
    ...overhead(agent, 'eps', at, { ratio }, 'd'),
    tags: { ...overhead(agent, 'eps', at, {}, 'd').tags, variant },
  });
  await store.write([d('vm4', T, 1), d('vm4', T, 2, 'p'), d('vm5', T + S, 3), d('vm6', T, 4), d('vm7', T + 2n * S, 5), d('vm8', T + 2n * S, 6)]);
  await store.delete('overhead', [
    { tags: { group: 'd', agent: 'vm4', variant: '' }, from: T, to: T },
    { tags: { group: 'd', agent: ['vm5', 'vm6'] }, from: T + S, to: T + S },
    { tags: { group: 'd', agent: 'vm7' } },
  ]);
  await store.delete('overhead', []);
  out.push((await store.select({ measurement: 'overhead', where: { tags: { group: 'd' } }, fields: ['ratio'] })).map((r) => r.fields.ratio));
  return out;
}

describe('store contract: InfluxDB and in memory answer alike', () => {
  it('write (merging), select (tags, tag sets, time bounds, fields, newest per group), selects in one request, tag values, delete, retention policy', async () => {
    await setUpRetention(rawQuery({ url: db.url, database: DB }), DB, DEFAULT_RETENTION, pino({ level: 'silent' }));
    const g = `o'k "g"`;
    const real = await script(db.store);
    expect(real).toEqual(await script(new MemoryStore()));
    // And what InfluxDB answered is what was written (not two equal wrong answers).
    expect(real[0]).toEqual([
      { timeNs: T, tags: expect.objectContaining({ agent: 'vm1', metric: 'eps' }), fields: { ratio: 0.5, run_id: 'r1', threads: 1, verdict: 'worse' } },
      { timeNs: T, tags: expect.objectContaining({ agent: 'vm1', metric: 'lat' }), fields: { ratio: 2, run_id: 'r1' } },
      { timeNs: T + 5n * S, tags: expect.objectContaining({ agent: 'vm2' }), fields: { ratio: 0.7, run_id: 'r3' } },
      { timeNs: T + 10n * S, tags: expect.objectContaining({ agent: 'vm1' }), fields: { ratio: 0.6, run_id: 'r2', ok: true } },
    ]);
    expect((real[0] as Array<{ tags: object }>)[0]!.tags).not.toHaveProperty('variant'); // an empty tag is no tag
    expect(real[2]).toEqual([{ timeNs: T + 10n * S, tags: expect.anything(), fields: { ok: true } }]);
    expect(real[5]).toEqual(['vm1', 'vm2']);
    // After the first delete: vm1 (r2, at T+10), vm2 (r3) and vm3 (r9, group 'other') at T+5.
    const agents = (i: number) => (real[i] as Array<{ tags: { agent: string } }>).map((r) => r.tags.agent);
    expect(agents(8)).toEqual(['vm2', 'vm3']);
    expect(agents(9)).toEqual(['vm1']);
    expect(real[10]).toEqual(['vm1', 'vm3']);
    const [vm1, none, newest] = real[11] as Array<Array<{ tags: Record<string, string>; fields: object }>>;
    expect(vm1!.map((r) => r.fields)).toEqual([{ run_id: 'r2' }]);
    expect(none).toEqual([]);
    expect(newest!.map((r) => [r.tags.group, r.fields])).toEqual([
      ['other', { ratio: 0.9 }],
      [g, { ratio: 0.6 }],
    ]);
    expect(real[12]).toEqual([]);
    expect(agents(13)).toEqual(['vm1']);
    expect(real.slice(14, 17)).toEqual(Array(3).fill('store: tag agent matched against an empty set of values'));
    expect(real[17]).toEqual([{ timeNs: T, tags: { agent: 'vm1', group: 'g' }, fields: { silent_s: 3, silent: 1 } }]);
    expect(real[18]).toEqual([2, 4, 6]);
  });

  it('a delete of many series is one request: their tag sets ORed in one statement per time bound', async () => {
    const sent: string[] = [];
    const raw = rawQuery({ url: db.url, database: DB });
    const store = influxStore({ url: db.url, database: DB }, { query: (q) => (sent.push(q), raw(q)) });
    const at = (i: number) => T + BigInt(i % 2) * S;
    await store.write(Array.from({ length: 1200 }, (_, i) => overhead(`m${i}`, 'eps', at(i), { ratio: i }, 'many')));
    await store.delete(
      'overhead',
      Array.from({ length: 1100 }, (_, i) => ({ tags: { group: 'many', agent: `m${i}` }, from: at(i), to: at(i) })),
    );
    expect(sent.filter((q) => q.startsWith('DELETE'))).toHaveLength(1);
    expect(sent[sent.length - 1]!.split('; ')).toHaveLength(4); // 550 at each time: 500 + 50, twice
    const left = await store.select({ measurement: 'overhead', where: { tags: { group: 'many' } }, fields: ['ratio'] });
    expect(left.map((r) => r.fields.ratio).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 100 }, (_, i) => 1100 + i));
  });

  // Whole (the collector's undici query) and chunked as the report reads it (node-query.ts), with
  // chunks of one row so that every series comes in pieces and statements share no part.
  it.each([
    ['whole answers', undefined],
    ['chunked answers of one row', 1],
  ])('eachSeries answers what selectMany does, per series (tags present only, a missing field null), in one request: %s', async (_name, chunkSize) => {
    const sent: string[] = [];
    const raw = rawQuery({ url: db.url, database: DB });
    const chunks = chunkSize === undefined ? undefined : nodeHttpQueryChunks({ url: db.url, database: DB }, chunkSize);
    const store = influxStore(
      { url: db.url, database: DB },
      {
        query: (q) => (sent.push(q), raw(q)),
        ...(chunks ? { queryChunks: (q: string, each: Parameters<typeof chunks>[1]) => (sent.push(q), chunks(q, each)) } : {}),
      },
    );
    await store.write([
      overhead('s1', 'eps', T, { ratio: 1.5, threads: 2 }, 'series'),
      overhead('s1', 'eps', T + S, { ratio: 2.5 }, 'series'),
      overhead('s2', 'eps', T + S, { threads: 4 }, 'series'),
      overhead('s3', 'lat', T + 2n * S, { ratio: 3, threads: 1 }, 'series'),
    ]);
    const selections = [
      { measurement: 'overhead' as const, where: { tags: { group: 'series' }, from: T, to: T + S }, fields: ['ratio', 'threads'] },
      { measurement: 'overhead' as const, where: { tags: { group: 'none' } } },
      { measurement: 'overhead' as const, where: { tags: { group: 'series' }, after: T + S }, fields: ['threads'] },
      { measurement: 'overhead' as const, where: { tags: { group: 'series' } }, fields: ['ratio'] },
    ];
    sent.length = 0;
    const pieces: Array<[number, SeriesAnswer]> = [];
    await store.eachSeries!(selections, (i, series) => pieces.push([i, series]));
    expect(sent).toHaveLength(1);
    if (chunkSize === 1) expect(pieces.every(([, p]) => p.values.length === 1)).toBe(true);
    // The pieces of each select's series joined in the order they came, as rows in the store's order: equal to selectMany's.
    const asRows = selections.map((_, i) =>
      pieces
        .filter(([at]) => at === i)
        .flatMap(([, s]) =>
          s.values.map((v) => ({
            timeNs: BigInt(String(v[0])),
            tags: s.tags,
            fields: Object.fromEntries(s.columns.flatMap((c, j) => (j > 0 && v[j] !== null ? [[c, v[j]]] : []))),
          })),
        )
        .sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.tags.agent! < b.tags.agent! ? -1 : 1)),
    );
    expect(asRows).toEqual(await store.selectMany(selections));
    expect(asRows.map((a) => a.length)).toEqual([3, 0, 1, 3]);
    // A series in pieces keeps its points' order (s1's two points of the first select, oldest first).
    expect(pieces.filter(([i, p]) => i === 0 && p.tags.agent === 's1').flatMap(([, p]) => p.values.map((v) => v[1]))).toEqual([1.5, 2.5]);
    expect(pieces[0]![1].tags).not.toHaveProperty('variant'); // '' in InfluxDB's answer: no tag
    expect(pieces.find(([i, s]) => i === 0 && s.tags.agent === 's2')![1].values).toEqual([[String(T + S), null, 4]]);
    await expect(store.eachSeries!([{ measurement: 'overhead', newest: 1 }], () => undefined)).rejects.toThrow(/newest/);
  });

  it("refuses the agents' append-only records", async () => {
    await expect(db.store.write([{ measurement: 'sysbench', tags: { agent: 'a' }, fields: { x: 1 }, timestamp: '1' }])).rejects.toThrow(/append-only/);
  });

  it('an InfluxQL error is an error, not an empty answer', async () => {
    const broken = influxStore({ url: db.url, database: 'no_such_db' });
    await expect(broken.select({ measurement: 'overhead' })).rejects.toThrow(/database not found/);
  });
});
