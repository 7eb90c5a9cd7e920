// Bounded memory under a valid flood (issue 23 item 4), against the real collector process and a
// real influxd: 4 guest agents with valid identities send results as fast as the collector lets
// them (its rate limit and flow control), each a run of 10 trials against their group's baseline,
// so every write owes an overhead computation. Before the owed queue was bounded, the writes
// outran the computations and the collector grew to 476 MB in 20 s and 1.2 GB in 45 s. Now the
// streams pause while the queue is full (acks slow down), nothing is lost, and every run's
// overhead counts all its trials. A victim agent of another group sends beside the flood: its
// ack latency with and without the flood is a figure, not an assertion (this machine is shared).
// CI floods for VO_OWED_FLOOD_SECONDS (default 20); the 2-minute figure comes from 120.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { describe, expect, it } from 'vitest';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { Flooder, RUN_TRIALS } from '../support/flooder.js';
import { query, sleep, startCollectorProc } from '../support/procs.js';
import { hello, openStream, rawClient } from '../support/raw-client.js';
import { latencyText, victimPhase } from '../support/victim.js';

const SECONDS = Number(process.env.VO_OWED_FLOOD_SECONDS ?? 20);
const fx = influxdFixture('vo-rel-owed-flood-');

function memoryMiB(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Stored points of an agent's results, and how many distinct ids among them. */
async function storedCounts(agent: string): Promise<{ points: number; distinct: number }> {
  const [row] = await query(fx.influxd.url, `SELECT count("result_id") AS n, count(distinct("result_id")) AS d FROM "sysbench" WHERE "agent" = '${agent}'`);
  return { points: Number(row?.n ?? 0), distinct: Number(row?.d ?? 0) };
}

const owedMarkers = async () => (await query(fx.influxd.url, 'SELECT count("results") AS n FROM "overhead_owed"'))[0]?.n ?? 0;

describe('a flood of valid results', () => {
  it(
    `4 valid agents at their rate limit for ${SECONDS} s: RSS < 300 MB, every result stored once and its run's overhead computed`,
    async () => {
      const c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
      fx.procs.push(c);
      const base = new Flooder('flood-native', 'flood', 'baseline');
      const victimBase = new Flooder('victim-native', 'victim', 'baseline');
      for (const b of [base, victimBase]) {
        await b.connect(c.address);
        await b.produce(20);
        await b.settled(60_000);
      }
      const victim = openStream(rawClient(c.address));
      victim.call.write({ hello: hello({ agent_id: 'victim-guest', group: 'victim' }) });
      await victim.waitFor((m) => Boolean(m.welcome));
      const alone = await victimPhase(victim, 'alone', 5000, 50);

      const rssBefore = memoryMiB(c.pid, 'VmRSS');
      const load = [loadavg()[0]!];
      const flooders = Array.from({ length: 4 }, (_, i) => new Flooder(`flooder-${i}`, 'flood'));
      await Promise.all(flooders.map((f) => f.connect(c.address)));
      let peakRss = rssBefore;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryMiB(c.pid, 'VmRSS'))), 250);
      const deadline = Date.now() + SECONDS * 1000;
      const flooding = Promise.all(flooders.map((f) => f.flood(deadline)));
      await sleep(Math.min(5000, (SECONDS * 1000) / 4));
      const during = await victimPhase(victim, 'during', Math.min(10_000, (SECONDS * 1000) / 2), 50);
      await flooding;
      load.push(loadavg()[0]!);
      // Everything sent is acked (the streams were only paused), then every owed computation is done.
      await Promise.all(flooders.map((f) => f.settled(600_000)));
      for (let i = 0; i < 12_000 && Number(await owedMarkers()) > 0; i++) await sleep(50);
      clearInterval(sampler);
      const hwm = memoryMiB(c.pid, 'VmHWM');
      victim.close();

      const produced = flooders.reduce((n, f) => n + f.produced, 0);
      const acked = flooders.reduce((n, f) => n + f.acked.size, 0);
      let stored = 0;
      let duplicated = 0;
      for (const f of flooders) {
        const s = await storedCounts(f.agentId);
        stored += s.distinct;
        duplicated += s.points - s.distinct;
      }
      // Every run's overhead point counts all its trials: no result left uncomputed.
      const rows = await query(fx.influxd.url, `SELECT "run_id", "n_guest" FROM "overhead" WHERE "group" = 'flood' AND "metric" = 'events_per_sec'`);
      const runs = flooders.reduce((n, f) => n + f.runs, 0);
      const complete = rows.filter((r) => Number(r.n_guest) === RUN_TRIALS).length;
      const paused = (c.stderr().match(/overhead computation is behind: pausing agent streams/g) ?? []).length;
      const victimLost = alone.ids.length + during.ids.length - alone.latencies.length - during.latencies.length;

      expect(acked).toBe(produced);
      expect(stored).toBe(produced);
      expect(duplicated).toBe(0);
      expect(victimLost).toBe(0);
      expect(await owedMarkers()).toBe(0);
      expect(rows).toHaveLength(runs);
      expect(complete).toBe(runs);
      // The bound (before: 476 MB after 20 s, 1.2 GB after 45 s).
      expect(hwm).toBeLessThan(300);
      recordFigures(`4 valid agents flooding results at their rate limit for ${SECONDS} s, a victim agent beside them`, {
        sent: produced + alone.ids.length + during.ids.length,
        acknowledged: acked + alone.latencies.length + during.latencies.length,
        stored: stored + alone.latencies.length + during.latencies.length,
        spooled: 0,
        dropped: 0,
        rejected: 0,
        lost: produced - stored + victimLost,
        duplicated,
        note: `flooders: ${produced} results (${(produced / SECONDS).toFixed(0)}/s), ${runs} runs, each run's overhead counts its ${RUN_TRIALS} trials; streams paused ${paused} times for the overhead queue; collector RSS ${rssBefore.toFixed(0)} MB before, peak ${peakRss.toFixed(0)} MB sampled, VmHWM ${hwm.toFixed(0)} MB; victim ack latency alone ${latencyText(alone.latencies)}, during the flood ${latencyText(during.latencies)}; load average ${load.map((l) => l.toFixed(1)).join(' → ')}`,
      });
      for (const f of [...flooders, base, victimBase]) f.close();
    },
    (SECONDS + 900) * 1000,
  );
});
