// Issue 23 item 2: facts stored when they change, not copied per run. One agent in timer mode
// (a hello per run) sends the largest facts the bounds table allows (schema/bounds.ts: every
// host fact and 32 declared facts at their byte limits, ~12 KB a hello) for 200 runs, its
// kernel changed at run 50 and run 200, one declared fact at run 150. Real influxd, the built
// collector as a process, a raw gRPC client on loopback. Stored agent_info points = the changes
// plus the first (4), not 200 or 400; the collector's RSS is measured along the runs (figures,
// not assertions: docs/RELIABILITY.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WIRE_BOUNDS } from '../../schema/bounds.js';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { compareIds, query, sleep, startCollectorProc, storedIds } from '../support/procs.js';
import { hello, openStream, rawClient, validResult } from '../support/raw-client.js';

const fx = influxdFixture('vo-rel-facts-');
const RUNS = 200;
const HF = WIRE_BOUNDS.HostFacts;
const DECL = WIRE_BOUNDS.Environment.declared;

/** A string of exactly `bytes` printable ASCII bytes, ending in `tag` so values differ. */
const fill = (bytes: number, tag = '') => 'f'.repeat(bytes - tag.length) + tag;

/** The largest facts the bounds allow, for run i (1-based): the kernel changes at 50 and 200, a declared fact at 150. */
function factsOf(i: number) {
  const kernel = i >= RUNS ? 'c' : i >= 50 ? 'b' : 'a';
  const declared: Record<string, string> = {};
  for (let k = 0; k < DECL.maxEntries; k++)
    declared[fill(DECL.key.maxBytes, String(k).padStart(2, '0'))] = fill(DECL.value.maxBytes, k === 0 && i >= 150 ? 'new' : 'old');
  return {
    host: {
      os: fill(HF.os.maxBytes),
      kernel: fill(HF.kernel.maxBytes, kernel),
      arch: fill(HF.arch.maxBytes),
      cpu_model: fill(HF.cpu_model.maxBytes),
      cpus: HF.cpus.max,
      memory_bytes: String(HF.memory_bytes.max),
    },
    environment: { virt: 'kvm', container: 'none', kvm: 'usable', cpuid_signatures: [], detection_json: '{}', declared },
    agent_version: fill(WIRE_BOUNDS.Hello.agent_version.maxBytes),
  };
}

const rssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

describe('facts stored when they change (a hello per run, the largest facts allowed)', () => {
  it('200 runs with three changes: four agent_info points, every result stored once', async () => {
    const collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
    fx.procs.push(collector);
    const client = rawClient(collector.address);
    const rss: Array<[number, number]> = [[0, rssMiB(collector.pid)]];
    const sent: string[] = [];
    let acked = 0;
    try {
      for (let i = 1; i <= RUNS; i++) {
        const s = openStream(client);
        s.call.write({ hello: hello({ agent_id: 'big', group: 'facts', hostname: 'big-host', variant: 'default', ...factsOf(i) }) });
        await s.waitFor((m) => Boolean(m.welcome), 1, 60_000);
        const id = `big-${i}`;
        sent.push(id);
        s.call.write(validResult(id, { run_id: `run-${i}` }));
        await s.waitFor((m) => Boolean(m.ack?.ids.includes(id)), 1, 60_000);
        acked++;
        s.close();
        await s.closed;
        if (i % 50 === 0) rss.push([i, rssMiB(collector.pid)]);
      }
    } finally {
      client.close();
    }
    // Facts are recorded in order with the batches: the last run's change is the last point.
    let points: Array<Record<string, unknown>> = [];
    for (let t = 0; t < 600 && !points.some((p) => String(p.kernel).endsWith('c')); t++) {
      await sleep(100);
      points = await query(fx.influxd.url, `SELECT * FROM "agent_info" WHERE "agent" = 'big'`);
    }
    const counts = compareIds(sent, await storedIds(fx.influxd.url, 'sysbench', 'big'));
    expect(points.map((p) => p.changed ?? null)).toEqual([null, 'kernel', null, 'kernel']); // the declared fact: a point, no named event (its QEMU part is)
    expect(String(points[2]!.declared)).toContain('new');
    expect(counts.lost + counts.duplicated).toBe(0);
    expect(counts.stored).toBe(RUNS);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const hello1 = JSON.stringify(factsOf(1)).length;
    recordFigures('facts stored when they change: 200 runs, a hello each with the largest facts allowed', {
      sent: RUNS,
      acknowledged: acked,
      stored: counts.stored,
      spooled: 0,
      dropped: 0,
      rejected: 0,
      lost: counts.lost,
      duplicated: counts.duplicated,
      note: `agent_info points ${points.length} (before: ${2 * RUNS}, one per hello and per run); hello ~${(hello1 / 1024).toFixed(1)} KiB of facts; collector RSS MiB at run ${rss.map(([i, m]) => `${i}: ${m.toFixed(0)}`).join(', ')}; load ${load}`,
    });
  }, 600_000);
});
