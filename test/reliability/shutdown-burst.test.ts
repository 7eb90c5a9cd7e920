// Shutdown after a burst (issue 16, item 6), with the real collector process, a real influxd and
// two load agents (real Spool and Sender): a baseline and a guest that sends a burst of results.
// The collector is sent SIGTERM as soon as the burst is acknowledged; it must exit 0 within the
// unit's stop timeout (the time is a recorded figure), and the overhead it had not computed yet
// is computed by the next collector (overhead_owed marker, collector/owed.ts). The first
// collector reaches influxd through a proxy that holds the overhead calculator's reads
// (test/support/hold-proxy.ts), so work is owed at the stop on every machine, fast or loaded.
// The same after a SIGKILL: markers are written with the results, before their ack
// (collector/owed-markers.ts), so a collector that could record nothing at exit still leaves
// them; the check is the guest run's overhead point, which must count every guest result.
// CI: VO_BURST results (default 2000); the 20 000 with VO_BURST=20000.
import { describe, expect, it } from 'vitest';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { calculatorReads, holdProxy, type HoldProxy } from '../support/hold-proxy.js';
import { drainedBaseline, query, sleep, startCollectorProc, startGuestBurst, stopProc, type CollectorProc } from '../support/procs.js';

const BURST = Number(process.env.VO_BURST ?? 2000);
const fx = influxdFixture('vo-rel-burst-');

/** A baseline (20 results) then a guest sending `count` results of one run, both drained (every record acked). */
async function burst(c: CollectorProc, group: string, count: number): Promise<void> {
  await drainedBaseline(c.address, fx.p(`spool-base-${group}`), group, fx.procs);
  const guest = startGuestBurst(c.address, fx.p(`spool-guest-${group}`), group, count, fx.procs);
  await guest.waitFor(/"event":"drained"/, 600_000);
}

/** Every result of a burst acked; none left spooled, dropped or refused. */
const burstCounts = (stored: number) => ({ sent: BURST, acknowledged: BURST, stored, spooled: 0, dropped: 0, rejected: 0, lost: 0, duplicated: 0 });

const owedResults = async () => (await query(fx.influxd.url, 'SELECT "results" FROM "overhead_owed"')).reduce((n, r) => n + Number(r.results), 0);

/** A collector whose overhead step is held by a proxy in front of influxd: what it receives stays owed until it stops. */
async function heldCollector(): Promise<{ c: CollectorProc; proxy: HoldProxy }> {
  const proxy = await holdProxy(fx.influxd.url, calculatorReads);
  const c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', proxy.url, '--result-rate', '1000000']);
  fx.procs.push(c);
  return { c, proxy };
}

/** Starts a collector and waits until it has computed every marker it found, deleted them, and said so. */
async function nextCollector(): Promise<CollectorProc> {
  const c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--result-rate', '1000000']);
  fx.procs.push(c);
  for (let i = 0; i < 2400 && (await owedResults()) > 0; i++) await sleep(50);
  // The marker is deleted before the line is logged: wait for the line too, not only for no markers.
  await c.waitForErr(/computed the overhead owed by an earlier collector/, 120_000).catch(() => undefined);
  return c;
}

describe('shutdown after a burst', () => {
  it(`SIGTERM right after ${BURST} results were acked: exit 0, and the overhead still owed is computed after the next start`, async () => {
    const { c: c1, proxy } = await heldCollector();
    await burst(c1, 'burst', BURST);
    await proxy.waitHeld(); // the overhead step has begun and waits on its read
    const t0 = Date.now();
    c1.signal('SIGTERM');
    // Its read stays held past the stop's 5 s grace; once the collector said what it left owed,
    // the proxy drops the read (it would otherwise keep the exiting process's socket open).
    await c1.waitForErr(/recorded in overhead_owed for the next start/, 120_000).catch(() => undefined);
    const stoppedS = (Date.now() - t0) / 1000;
    await proxy.close();
    const exit = await c1.exited;
    const exitS = (Date.now() - t0) / 1000;
    expect(exit.code).toBe(0);
    const owedAtExit = await owedResults();
    expect(owedAtExit).toBeGreaterThan(0);
    expect(c1.stderr()).toMatch(/recorded in overhead_owed for the next start/);

    // The next collector computes what was owed, then deletes the marker.
    const c2 = await nextCollector();
    expect(await query(fx.influxd.url, 'SELECT "results" FROM "overhead_owed"')).toHaveLength(0);
    expect(c2.stderr()).toMatch(/computed the overhead owed by an earlier collector/);
    const overhead = await query(fx.influxd.url, `SELECT "overhead_pct" FROM "overhead" WHERE "agent" = 'burst-guest'`);
    expect(overhead.length).toBeGreaterThan(0);
    const stored = await query(fx.influxd.url, `SELECT count("result_id") FROM "sysbench" WHERE "agent" = 'burst-guest'`);
    expect(stored[0]!.count).toBe(BURST);
    recordFigures(`collector SIGTERM right after a burst of ${BURST} results was acked`, {
      ...burstCounts(Number(stored[0]!.count)),
      note: `overhead step held: stopped after ${stoppedS.toFixed(1)} s, exit 0 after ${exitS.toFixed(1)} s (unit stop timeout 30 s; before: 391 s at 20 000); overhead owed at exit: ${owedAtExit} results, computed by the next collector (marker deleted); overhead points for the guest: ${overhead.length}`,
    });
    await stopProc(c2);
  }, 900_000);

  it(`SIGKILL right after ${BURST} results were acked: the markers written before the acks let the next start compute the overhead owed`, async (ctx) => {
    // The overhead step is held (heldCollector), so the first burst is killed with work owed; the
    // loop of up to 3 bursts and the skip stay as the honest way out should the hold not take.
    const run = async (group: string) =>
      (await query(fx.influxd.url, `SELECT "n_guest" FROM "overhead" WHERE "agent" = '${group}-guest' AND "metric" = 'events_per_sec'`))[0];
    let group = '';
    let owedAtKill = 0;
    let nGuestAtKill = BURST;
    let attempts = 0;
    while (attempts < 3 && nGuestAtKill === BURST) {
      group = `kill${++attempts}`;
      const { c: c1, proxy } = await heldCollector();
      await burst(c1, group, BURST);
      c1.signal('SIGKILL');
      expect((await c1.exited).signal).toBe('SIGKILL');
      await proxy.close();
      owedAtKill = await owedResults();
      nGuestAtKill = Number((await run(group))?.n_guest ?? 0);
    }
    if (nGuestAtKill === BURST) ctx.skip(`the overhead was computed before the kill in ${attempts} bursts of ${BURST}: nothing owed to test`);
    // The kill left work owed (the run's overhead does not count every result yet): the markers name it.
    expect(owedAtKill).toBeGreaterThan(0);

    const c2 = await nextCollector();
    expect(await owedResults()).toBe(0);
    expect(c2.stderr()).toMatch(/computed the overhead owed by an earlier collector/);
    // The guest run's one overhead point counts every guest result: none is left uncomputed.
    const stored = await query(fx.influxd.url, `SELECT count("result_id") FROM "sysbench" WHERE "agent" = '${group}-guest'`);
    expect(stored[0]!.count).toBe(BURST);
    expect(Number((await run(group))?.n_guest)).toBe(BURST);
    recordFigures(`collector SIGKILL right after a burst of ${BURST} results was acked`, {
      ...burstCounts(Number(stored[0]!.count)),
      note: `burst ${attempts} of at most 3 killed with work owed; overhead owed at the kill (markers left): ${owedAtKill} results; the guest run's overhead counted ${nGuestAtKill} of ${BURST} results at the kill, ${BURST} after the next start`,
    });
    await stopProc(c2);
  }, 900_000);
});
