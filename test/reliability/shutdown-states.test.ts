// SIGTERM → exit within the unit's stop timeout in every state (issue 23 item 6), with the real
// collector process and a real influxd: during a flood of 16 valid agents (each at its own rate
// limit: enough results at once that computations are still owed at the stop), during the catch-up of
// the work the flood left owed, and during the recompute a baseline result starts over a big
// group (every guest run in its window). Before, a collector lived 62 s after SIGTERM after a
// flood and 38 s in a catch-up: past systemd's TimeoutStopSec=30s, killed mid-write.
// The bound asserted is 25 s. It cannot flake on a loaded machine: every step of the stop has its
// own timer (2 + 10 + 5 + 2 + 1 s, collector/index.ts) and the command exits 1 s after them
// whatever is still in flight (cli/commands/collector.ts), so a late timer on a busy machine adds
// scheduling delay (milliseconds), not a computation's length. The work not done stays as
// overhead_owed markers: the next start finishes it, and at the end every result the flooders
// produced (resent after each restart, as an agent's spool does) is stored once and every run's
// overhead counts all its trials.
import { describe, expect, it } from 'vitest';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { Flooder, RUN_TRIALS } from '../support/flooder.js';
import { calculatorReads, holdProxy } from '../support/hold-proxy.js';
import { query, sleep, startCollectorProc, type CollectorProc } from '../support/procs.js';

const FLOOD_MS = Number(process.env.VO_SHUTDOWN_FLOOD_SECONDS ?? 8) * 1000;
const BOUND_S = 25;
const fx = influxdFixture('vo-rel-shutdown-states-');

const owedResults = async () => Number((await query(fx.influxd.url, 'SELECT sum("results") AS n FROM "overhead_owed"'))[0]?.n ?? 0);

async function collector(): Promise<CollectorProc> {
  const c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
  fx.procs.push(c);
  return c;
}

/** SIGTERM; the seconds until the process exited, and its exit code. */
async function term(c: CollectorProc): Promise<{ seconds: number; code: number | null }> {
  const t0 = performance.now();
  c.signal('SIGTERM');
  const { code } = await c.exited;
  return { seconds: (performance.now() - t0) / 1000, code };
}

describe('SIGTERM in every state', () => {
  it(`exits within ${BOUND_S} s during a flood, a catch-up and a big group's recompute; the next start finishes the owed work`, async () => {
    const base = new Flooder('big-native', 'big', 'baseline');
    const flooders = Array.from({ length: 16 }, (_, i) => new Flooder(`big-guest-${i}`, 'big'));
    const all = [base, ...flooders];
    const figures: string[] = [];

    // 1. During a flood. The collector reaches influxd through a proxy that holds the overhead
    // step's reads (test/support/hold-proxy.ts): work is owed at the stop on every machine — on
    // a quiet one the flood was computed as fast as it came and nothing was owed (CI of 3a0c0a8).
    const proxy = await holdProxy(fx.influxd.url, calculatorReads);
    const c1 = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', proxy.url]);
    fx.procs.push(c1);
    await base.connect(c1.address);
    await base.produce(20);
    await base.settled(60_000);
    await Promise.all(flooders.map((f) => f.connect(c1.address)));
    const flooding = Promise.all(flooders.map((f) => f.flood(Date.now() + 10 * 60_000)));
    await sleep(FLOOD_MS);
    // The overhead step has begun and waits on its read. At load ~24 the first read had not come
    // after 120 s once (the tests engineer's run of 19:10): a bound, not a timing; the test has 30 min.
    await proxy.waitHeld(600_000);
    const t0 = performance.now();
    c1.signal('SIGTERM');
    // Once the collector said what it left owed, the proxy drops the held read (it would
    // otherwise keep the exiting process's socket open); the exit is timed from the signal.
    await c1.waitForErr(/recorded in overhead_owed for the next start/, 120_000).catch(() => undefined);
    await proxy.close();
    const flood = { code: (await c1.exited).code, seconds: (performance.now() - t0) / 1000 };
    await flooding; // each flooder's stream closed with the collector
    const owedAfterFlood = await owedResults();
    expect(flood.code).toBe(0);
    expect(flood.seconds).toBeLessThan(BOUND_S);
    figures.push(`flood: exit ${flood.code} after ${flood.seconds.toFixed(1)} s, ${owedAfterFlood} results owed (markers)`);

    // 2. During the catch-up of what the flood left owed (the flooders resend what was not acked).
    expect(owedAfterFlood).toBeGreaterThan(0);
    const c2 = await collector();
    // The catch-up starts right after 'listening': SIGTERM once it computed its first marker (or after 2 s).
    for (let i = 0; i < 40 && !/computed the overhead owed by an earlier collector/.test(c2.stderr()); i++) await sleep(50);
    const owedAtTerm = await owedResults();
    const catchUp = await term(c2);
    const owedAfterCatchUp = await owedResults();
    expect(catchUp.code).toBe(0);
    expect(catchUp.seconds).toBeLessThan(BOUND_S);
    figures.push(
      `catch-up: exit ${catchUp.code} after ${catchUp.seconds.toFixed(1)} s, ${owedAtTerm} results owed at SIGTERM, ${owedAfterCatchUp} left as markers`,
    );

    // 3. During the recompute a baseline result starts: every guest run of the group in its window.
    const c3 = await collector();
    await Promise.all(all.map((f) => f.connect(c3.address)));
    await Promise.all(all.map((f) => f.settled(600_000)));
    for (let i = 0; i < 12_000 && (await owedResults()) > 0; i++) await sleep(50);
    expect(await owedResults()).toBe(0);
    await base.produce(RUN_TRIALS); // one more baseline run: the whole group is recomputed
    await base.settled(60_000);
    const recompute = await term(c3);
    const owedAfterRecompute = await owedResults();
    expect(recompute.code).toBe(0);
    expect(recompute.seconds).toBeLessThan(BOUND_S);
    figures.push(`recompute: exit ${recompute.code} after ${recompute.seconds.toFixed(1)} s, ${owedAfterRecompute} results left as markers`);

    // The next start finishes everything: every result stored once, every run computed whole.
    const c4 = await collector();
    await Promise.all(all.map((f) => f.connect(c4.address)));
    await Promise.all(all.map((f) => f.settled(600_000)));
    for (let i = 0; i < 12_000 && (await owedResults()) > 0; i++) await sleep(50);
    expect(await owedResults()).toBe(0);
    let produced = 0;
    let acked = 0;
    let stored = 0;
    let duplicated = 0;
    for (const f of flooders) {
      const [row] = await query(
        fx.influxd.url,
        `SELECT count("result_id") AS n, count(distinct("result_id")) AS d FROM "sysbench" WHERE "agent" = '${f.agentId}'`,
      );
      produced += f.produced;
      acked += f.acked.size;
      stored += Number(row?.d ?? 0);
      duplicated += Number(row?.n ?? 0) - Number(row?.d ?? 0);
    }
    const rows = await query(fx.influxd.url, `SELECT "run_id", "n_guest" FROM "overhead" WHERE "group" = 'big' AND "metric" = 'events_per_sec'`);
    const runs = flooders.reduce((n, f) => n + f.runs, 0);
    const complete = rows.filter((r) => Number(r.n_guest) === RUN_TRIALS).length;
    expect(acked).toBe(produced);
    expect(stored).toBe(produced);
    expect(duplicated).toBe(0);
    expect(rows).toHaveLength(runs);
    expect(complete).toBe(runs);
    recordFigures('collector SIGTERM during a flood of 16 valid agents, during the catch-up after it, during a big group recompute; the next start finishes', {
      sent: produced,
      acknowledged: acked,
      stored,
      spooled: 0,
      dropped: 0,
      rejected: 0,
      lost: produced - stored,
      duplicated,
      note: `${figures.join('; ')}; in the end ${runs} runs, each run's overhead counts its ${RUN_TRIALS} trials, markers 0 (bound ${BOUND_S} s; the unit's TimeoutStopSec 30 s)`,
    });
    for (const f of all) f.close();
  }, 1_800_000);
});
