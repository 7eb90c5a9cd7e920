// The catch-up benchmark's pure parts (bench/catchup-plan.ts): its options, the fleet and runs it
// plans, and the verdicts of its three goals (fixed before any measurement: 60 s, 10 min, 500 MB).
import { describe, expect, it } from 'vitest';
import { CATCHUP_GOALS, catchupOptionsFromArgv, catchupPlan, catchupResults, quantile, type CatchupMeasured } from '../bench/catchup-plan.js';
import { fleetAgents, fleetRuns, runMessages } from '../bench/fleet-model.js';
import { UsageError } from '../bench/args.js';

const MB = 1024 * 1024;

const measured = (over: Partial<CatchupMeasured> = {}): CatchupMeasured => ({
  guests: 1006,
  agents: 1017,
  reconnectedMs: 2_000,
  ackedMs: 20_000,
  idleMs: 200_000,
  peakRssBytes: 300 * MB,
  records: 56_952,
  results: 12_204,
  collectorCpuMs: 60_000,
  agentAckedMs: [3_000, 5_000, 20_000],
  ...over,
});

const verdicts = (m: CatchupMeasured) =>
  Object.fromEntries(
    catchupResults(m)
      .filter((r) => r.goal)
      .map((r) => [r.name.split(' (')[0], [r.value, r.goal, r.met]]),
  );

describe('the catch-up benchmark', () => {
  it('reads its options, and refuses a count that is not a whole number ≥ 1', () => {
    expect(catchupOptionsFromArgv(['--only=catchup', '--catchup-groups=2', '--catchup-guests=10', '--catchup-days=3', '--catchup-label=before: x'])).toEqual({
      groups: 2,
      guestsPerGroup: 10,
      historyDays: 3,
      label: 'before: x',
    });
    expect(catchupOptionsFromArgv(['--dist=/tmp/d/dist'])).toEqual({ dist: '/tmp/d/dist' });
    expect(catchupOptionsFromArgv([])).toEqual({});
    for (const bad of ['--catchup-guests=0', '--catchup-days=1.5', '--catchup-groups=x'])
      expect(() => catchupOptionsFromArgv([bad]), bad).toThrow(/whole number/);
    // A usage error (npm run bench exits 2 with the message, before any benchmark runs), as for every option.
    expect(() => catchupOptionsFromArgv(['--catchup-guests=0'])).toThrow(UsageError);
  });

  it("plans the issue's 1 000 guests, a day of history and a day's outage of 4 runs, every run sending samples", () => {
    const now = Date.UTC(2026, 11, 7, 18, 25, 13);
    const { spec, historyRuns, outageRuns } = catchupPlan({}, now);
    expect(spec).toMatchObject({ groups: 10, guestsPerGroup: 100, stacks: 3, days: 2, trials: 3 });
    expect(spec.endMs).toBe(Date.UTC(2026, 11, 7, 17)); // the newest run an hour before the last full hour
    expect([historyRuns, outageRuns]).toEqual([4, 4]);
    expect(fleetRuns(spec)).toBe(historyRuns + outageRuns);
    const agents = fleetAgents(spec);
    expect(agents.length).toBe(10 * 101 + 7);
    expect(agents.filter((a) => a.role === 'guest').length).toBe(1006);
    // What a spool holds after the outage: per agent, 4 runs of 3 results, 10 samples, a heartbeat (the lead's ~56 000 records).
    const spool = [4, 5, 6, 7].flatMap((i) => runMessages(spec, agents[1]!, i));
    expect(spool.length).toBe(4 * (3 + 10 + 1));
    expect(spool.filter((m) => m.result).length).toBe(12);
    expect(spool.every((m) => BigInt(String((m.result ?? m.sample ?? m.status)!.timestamp_ns)) < BigInt(now) * 1_000_000n)).toBe(true);
    const longer = catchupPlan({ historyDays: 3, groups: 1, guestsPerGroup: 10 }, now);
    expect([longer.spec.days, longer.historyRuns, longer.outageRuns, fleetRuns(longer.spec)]).toEqual([4, 12, 4, 16]);
  });

  it('decides each goal on its own figure, at the goal itself met', () => {
    expect(verdicts(measured())).toEqual({
      "agents' reconnection → every spooled record acked": [20_000, '≤ 60 000', true],
      "agents' reconnection → no work owed": [200_000, '≤ 600 000', true],
      'collector resident memory, peak': [300, '≤ 500', true],
    });
    const atGoal = measured({ ackedMs: CATCHUP_GOALS.ackedMs, idleMs: CATCHUP_GOALS.idleMs, peakRssBytes: CATCHUP_GOALS.peakRssBytes });
    expect(Object.values(verdicts(atGoal)).map((v) => v[2])).toEqual([true, true, true]);
    expect(verdicts(measured({ ackedMs: 60_001 }))["agents' reconnection → every spooled record acked"]![2]).toBe(false);
    expect(verdicts(measured({ idleMs: 600_001 }))["agents' reconnection → no work owed"]![2]).toBe(false);
    expect(verdicts(measured({ peakRssBytes: 500 * MB + 1 }))['collector resident memory, peak']![2]).toBe(false);
    // One missed goal leaves the others as they were.
    expect(Object.values(verdicts(measured({ idleMs: 900_000 }))).map((v) => v[2])).toEqual([true, false, true]);
  });

  it('reports the agents’ median and p95 time to their last ack, and CPU a result', () => {
    const r = catchupResults(measured({ agentAckedMs: [9, 1, 5, 3, 7, 2, 8, 4, 6, 10], collectorCpuMs: 24_408, results: 12_204 }));
    const value = (start: string) => r.find((x) => x.name.startsWith(start))!.value;
    expect(value("an agent's reconnection → its last ack, median")).toBe(5);
    expect(value("an agent's reconnection → its last ack, p95")).toBe(10);
    expect(value('collector CPU a result')).toBe(2);
    expect(quantile([], 0.5)).toBeNaN();
    expect(quantile([4], 0.95)).toBe(4);
  });
});
