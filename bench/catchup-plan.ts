// The catch-up benchmark's pure parts (bench/catchup.bench.ts): its options, the fleet it
// simulates, and its figures with the goals the lead fixed before any measurement (issue 26,
// 2026-12-07): after a one-day collector outage a 1 000-guest fleet's spools are acked within
// 60 s of the agents' reconnection, no work is owed within 10 min (well inside the 6-hour run
// interval, so the fleet never falls behind), and the collector stays within 500 MB.
import { resolve } from 'node:path';
import type { FleetSpec } from './fleet-model.js';
import type { BenchResult } from './types.js';
import { argValue, countArg } from './args.js';

/** The goals (fixed in the brief, not tuned to a measurement). */
export const CATCHUP_GOALS = { ackedMs: 60_000, idleMs: 600_000, peakRssBytes: 500 * 1024 * 1024 } as const;

/** Runs of one agent in one day: 6-hourly. */
export const RUNS_A_DAY = 4;

export interface CatchupOptions {
  /** The build under test: a dist/ directory (default: this one). */
  dist?: string;
  label?: string;
  /** Groups of guests (default 10) and guests in each (default 100): the 1 000 guests. */
  groups?: number;
  guestsPerGroup?: number;
  /** Days of history loaded normally, run by run, before the outage (default 1). */
  historyDays?: number;
}

/** `--dist=DIR --catchup-groups=N --catchup-guests=N --catchup-days=N --catchup-label=TEXT` (bench/args.ts checks the names). */
export function catchupOptionsFromArgv(argv: readonly string[]): CatchupOptions {
  const get = (name: string) => argValue(argv, name);
  const o: CatchupOptions = {};
  const dist = get('dist');
  if (dist !== undefined) o.dist = resolve(dist);
  const label = get('catchup-label');
  if (label !== undefined) o.label = label;
  const groups = countArg(argv, 'catchup-groups');
  if (groups !== undefined) o.groups = groups;
  const guests = countArg(argv, 'catchup-guests');
  if (guests !== undefined) o.guestsPerGroup = guests;
  const days = countArg(argv, 'catchup-days');
  if (days !== undefined) o.historyDays = days;
  return o;
}

export interface CatchupPlan {
  spec: FleetSpec;
  /** Runs [0, historyRuns) are loaded normally; [historyRuns, historyRuns + outageRuns) wait in the spools. */
  historyRuns: number;
  outageRuns: number;
}

/**
 * The fleet of the catch-up: the fleet bench's model (bench/fleet-model.ts) over the history days
 * plus the outage's day, ending an hour before `nowMs` (so every record is older than the
 * agents' reconnection, as a spool's are); every run recent enough to send interval samples.
 */
export function catchupPlan(o: CatchupOptions, nowMs: number): CatchupPlan {
  const historyDays = o.historyDays ?? 1;
  const days = historyDays + 1;
  return {
    spec: {
      groups: o.groups ?? 10,
      guestsPerGroup: o.guestsPerGroup ?? 100,
      stacks: 3,
      days,
      trials: 3,
      samplesDays: 29,
      samplesPerRun: 10,
      endMs: Math.floor(nowMs / 3_600_000) * 3_600_000 - 3_600_000,
    },
    historyRuns: historyDays * RUNS_A_DAY,
    outageRuns: RUNS_A_DAY,
  };
}

/** What one catch-up measured (ms from the start of the agents' reconnection; bytes). */
export interface CatchupMeasured {
  guests: number;
  agents: number;
  /** Every agent said hello again and was welcomed. */
  reconnectedMs: number;
  /** The last record of every spool acknowledged. */
  ackedMs: number;
  /** No overhead_owed marker left: overhead, nested stacks, change points, latest, rollups done. */
  idleMs: number;
  /** The collector's peak resident memory (VmHWM of the process started after the outage). */
  peakRssBytes: number;
  records: number;
  results: number;
  /** Collector CPU from the reconnection until no work was owed. */
  collectorCpuMs: number;
  /** Each agent's time until its last ack, ms, any order. */
  agentAckedMs: number[];
}

/** The q-quantile of xs (nearest rank); NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

const MB = 1024 * 1024;
const spaced = (n: number) => n.toLocaleString('en-US').replace(/,/g, ' ');

/** The section's figures, the three with goals decided here. */
export function catchupResults(m: CatchupMeasured): BenchResult[] {
  const g = CATCHUP_GOALS;
  return [
    { name: `agents reconnected (${m.agents} hellos welcomed)`, value: Math.round(m.reconnectedMs), unit: 'ms' },
    {
      name: `agents' reconnection → every spooled record acked (${spaced(m.records)} records, ${spaced(m.results)} results)`,
      value: Math.round(m.ackedMs),
      unit: 'ms',
      goal: `≤ ${spaced(g.ackedMs)}`,
      met: m.ackedMs <= g.ackedMs,
    },
    { name: `an agent's reconnection → its last ack, median of ${m.agentAckedMs.length} agents`, value: Math.round(quantile(m.agentAckedMs, 0.5)), unit: 'ms' },
    { name: `an agent's reconnection → its last ack, p95 of ${m.agentAckedMs.length} agents`, value: Math.round(quantile(m.agentAckedMs, 0.95)), unit: 'ms' },
    {
      name: "agents' reconnection → no work owed (overhead, nested stacks, change points, latest; no overhead_owed marker)",
      value: Math.round(m.idleMs),
      unit: 'ms',
      goal: `≤ ${spaced(g.idleMs)}`,
      met: m.idleMs <= g.idleMs,
    },
    {
      name: `collector resident memory, peak (VmHWM of the collector started after the outage, ${m.guests} guests)`,
      value: Math.round(m.peakRssBytes / MB),
      unit: 'MB',
      goal: `≤ ${g.peakRssBytes / MB}`,
      met: m.peakRssBytes <= g.peakRssBytes,
    },
    { name: 'collector CPU, reconnection → no work owed', value: Math.round(m.collectorCpuMs), unit: 'ms' },
    {
      name: 'collector CPU a result of the catch-up (acks and all work after them)',
      value: Number((m.collectorCpuMs / Math.max(1, m.results)).toPrecision(3)),
      unit: 'ms',
    },
  ];
}
