// Wrong agent clocks, against the in-memory store (test/support/memory-store.ts): the collector
// records a hello whose clock is off by more than the tolerance (health/clock.ts), at its own
// time, and `report` names each agent's last such record of its period (report/clocks.ts). A
// store that refuses the write costs a log line, never the hello. Offsets are computed here
// from the literals. Unit tier: no InfluxDB (the real path is test/reliability/time.test.ts's
// "wrong clocks" case: a real collector, influxd and `report`).
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/support/memory-store.js';
import { hello } from '../../test/support/messages.js';
import { TIME_BOUNDS } from '../../schema/bounds.js';
import { identityTags } from '../influx/points.js';
import { wrongClocks } from '../report/clocks.js';
import type { Store } from '../store/store.js';
import { createClockRecorder } from './clock.js';

const S = 1_000_000_000n;
const NOW = 1_767_225_600n * S; // the collector's clock at the first hello
const TOL = BigInt(TIME_BOUNDS.clockToleranceS);

function silentLog(lines: string[] = []) {
  return pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
}

/** A hello from `agent` whose clock reads `offset` seconds off the collector's, seen at `at`. */
async function seen(store: Store, agent: string, offsetS: bigint, at = NOW, group = 'g', log = silentLog()): Promise<void> {
  const clock = offsetS === 0n ? '0' : String(at + offsetS * S);
  const h = hello({ agent_id: agent, group, clock_ns: clock });
  // The tags as the stream handler makes them from the hello.
  await createClockRecorder(store, log).onHellos!([{ hello: h, tags: identityTags(h), nowNs: at }]);
}

describe('wrong agent clocks (in-memory store)', () => {
  it("records a hello off by more than the tolerance, at the collector's time, and no other", async () => {
    const store = new MemoryStore();
    await seen(store, 'ahead', 2n * 3600n);
    await seen(store, 'behind', -40n * 86_400n);
    await seen(store, 'edge', TOL); // exactly the tolerance: right
    await seen(store, 'past-edge', TOL + 1n);
    await seen(store, 'close', 30n * 60n);
    await seen(store, 'no-clock', 0n); // the hello carried none
    expect(store.all('agent_clock').map((r) => [r.tags.agent, r.timeNs, r.fields])).toEqual([
      ['ahead', NOW, { offset_s: 7200, tolerance_s: TIME_BOUNDS.clockToleranceS }],
      ['behind', NOW, { offset_s: -40 * 86_400, tolerance_s: TIME_BOUNDS.clockToleranceS }],
      ['past-edge', NOW, { offset_s: Number(TOL) + 1, tolerance_s: TIME_BOUNDS.clockToleranceS }],
    ]);
    expect(store.all('agent_clock')[0]!.tags).toEqual({
      agent: 'ahead',
      host: 'host-1',
      group: 'g',
      role: 'guest',
      virt: 'kvm',
      container: 'none',
      kvm: 'usable',
      variant: 'default',
    });
  });

  it('a store that refuses the write: the hello goes on, the failure is logged', async () => {
    const unused = () => Promise.reject(new Error('not read here'));
    const refusing: Store = {
      write: () => Promise.reject(new Error('InfluxDB said no')),
      select: unused,
      selectMany: unused,
      tagValues: unused,
      delete: unused,
    };
    const lines: string[] = [];
    await expect(seen(refusing, 'ahead', 7200n, NOW, 'g', silentLog(lines))).resolves.toBeUndefined();
    expect(lines.map((l) => JSON.parse(l) as { msg: string; error: string; agent: string })).toEqual([
      expect.objectContaining({ msg: 'writing agent_clock failed', error: 'InfluxDB said no', agent: 'ahead' }),
    ]);
  });

  it("report names each agent's last wrong clock of its period, of the group asked for, by group and agent", async () => {
    const store = new MemoryStore();
    const HOUR = 3600n * S;
    await seen(store, 'vm-b', -40n * 86_400n, NOW); // before the period
    await seen(store, 'vm-b', 3n * 86_400n, NOW + 2n * HOUR);
    await seen(store, 'vm-b', 2n * 86_400n, NOW + 3n * HOUR); // its last
    await seen(store, 'vm-a', -7200n, NOW + 4n * HOUR);
    await seen(store, 'vm-c', 7200n, NOW + 5n * HOUR, 'other');
    const since = NOW + HOUR;
    const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
    expect(await wrongClocks(store, since, 'g')).toEqual([
      { group: 'g', agent: 'vm-a', offsetS: -7200, at: iso(NOW + 4n * HOUR) },
      { group: 'g', agent: 'vm-b', offsetS: 2 * 86_400, at: iso(NOW + 3n * HOUR) },
    ]);
    expect((await wrongClocks(store, since)).map((c) => `${c.group}/${c.agent}`)).toEqual(['g/vm-a', 'g/vm-b', 'other/vm-c']);
    expect(await wrongClocks(store, NOW + 6n * HOUR)).toEqual([]);
  });
});
