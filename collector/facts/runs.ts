// Facts with each run (issue 14 item 1): an agent connects once per run in --once and timer
// mode, but a daemon agent keeps one connection for many runs, so its hello's facts can go
// stale — sysbench upgraded under it shows only in its results' `sysbench_version`. So each
// run also gets one `agent_info` point, stamped at the first result of the run this collector
// stores: the facts in force then (the newest agent_info at or before it) with what the run
// itself reports, its fact changes recorded as for a hello. One point per run, not per result.
import type { InfluxDB, IPoint } from 'influx';
import { IDENTITY_TAGS, type IdentityTags } from '../../schema/influx.js';
import type { WrittenResult } from '../listener.js';
import { agentInfoPoint, lastFacts } from './index.js';

export interface RunStart {
  tags: IdentityTags;
  runId: string;
  sysbenchVersion: string;
  timeNs: bigint;
}

/** Remembers the runs it saw (bounded), so each run is recorded once per collector. */
export class RunFacts {
  private readonly seen = new Set<string>();

  constructor(private readonly maxRuns = 10_000) {}

  /** The runs of these results not seen before, each at its earliest result here. */
  newRuns(points: readonly WrittenResult[]): RunStart[] {
    const found = new Map<string, RunStart>();
    for (const p of points) {
      const runId = p.fields.run_id;
      if (typeof runId !== 'string') continue;
      const key = `${p.tags.group}\0${p.tags.agent}\0${runId}`;
      if (this.seen.has(key)) continue;
      const timeNs = BigInt(p.timestamp_ns);
      const have = found.get(key);
      if (have && have.timeNs <= timeNs) continue;
      const tags = Object.fromEntries(IDENTITY_TAGS.map((t) => [t, p.tags[t] ?? ''])) as IdentityTags;
      found.set(key, { tags, runId, sysbenchVersion: p.tags.sysbench_version ?? '', timeNs });
    }
    for (const key of found.keys()) {
      if (this.seen.size >= this.maxRuns) this.seen.delete(this.seen.values().next().value!);
      this.seen.add(key);
    }
    return [...found.values()];
  }
}

/** Writes the run's `agent_info` point: the facts in force at its start, with the run's sysbench version. */
export async function recordRun(influx: InfluxDB, database: string, run: RunStart): Promise<IPoint> {
  const previous = await lastFacts(influx, database, run.tags, run.timeNs);
  const facts = { ...(previous ?? {}), ...(run.sysbenchVersion ? { sysbench_version: run.sysbenchVersion } : {}) };
  const point = agentInfoPoint(run.tags, facts, previous, run.timeNs);
  point.fields = { ...point.fields, run_id: run.runId };
  await influx.writePoints([point], { database, precision: 'n' });
  return point;
}
