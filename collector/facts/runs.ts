// Facts with each run (issue 14 item 1): an agent connects once per run in --once and timer
// mode, but a daemon agent keeps one connection for many runs, so its hello's facts can go
// stale — sysbench upgraded under it shows only in its results' `sysbench_version`. So each
// run also gets one `agent_info` point, stamped at the first result of the run this collector
// stores: the facts in force then (the newest agent_info at or before it) with what the run
// itself reports, its fact changes recorded as for a hello. One point per run, not per result.
import type { InfluxDB, IPoint } from 'influx';
import { IDENTITY_TAGS, type IdentityTags } from '../../schema/influx.js';
import type { WrittenResult } from '../listener.js';
import { agentInfoPoint, storedFacts } from './index.js';
import { eq } from '../../schema/influxql.js';
import { storedNs, type StoredRow } from '../influx/stored.js';

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
  return (await recordRuns(influx, database, [run]))[0]!;
}

/**
 * Every run's `agent_info` point, as recording them one by one in time order would write them (each
 * against the newest point at or before it, those of earlier runs of the batch included), with one
 * read for all agents and one write: a fleet's tick was two round trips per agent (issue 26).
 */
export async function recordRuns(influx: InfluxDB, database: string, runs: readonly RunStart[]): Promise<IPoint[]> {
  const byAgent = new Map<string, RunStart[]>();
  for (const r of runs) {
    const k = JSON.stringify([r.tags.group, r.tags.agent]);
    byAgent.set(k, [...(byAgent.get(k) ?? []), r]);
  }
  const agents = [...byAgent.values()].map((rs) => rs.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0)));
  // Per agent: its newest point at or before its first run, and its points up to its last run.
  const statements = agents.flatMap((rs) => {
    const where = `${eq('group', rs[0]!.tags.group)} AND ${eq('agent', rs[0]!.tags.agent)}`;
    return [
      `SELECT * FROM "agent_info" WHERE ${where} AND time <= ${rs[0]!.timeNs} ORDER BY time DESC LIMIT 1`,
      `SELECT * FROM "agent_info" WHERE ${where} AND time > ${rs[0]!.timeNs} AND time <= ${rs[rs.length - 1]!.timeNs}`,
    ];
  });
  // POSTed (a fleet's tick is thousands of statements), 500 agents a request.
  const answers: StoredRow[][] = [];
  for (let i = 0; i < statements.length; i += 1000)
    answers.push(...((await influx.query(statements.slice(i, i + 1000), { database, method: 'POST' } as never)) as unknown as StoredRow[][]));
  const points: IPoint[] = [];
  agents.forEach((rs, i) => {
    const known = [...(answers[2 * i] ?? []), ...(answers[2 * i + 1] ?? [])].map((row) => ({ timeNs: BigInt(storedNs(row)), facts: storedFacts(row) }));
    for (const run of rs) {
      const previous = known.filter((k) => k.timeNs <= run.timeNs).reduce<(typeof known)[number] | null>((m, k) => (!m || k.timeNs >= m.timeNs ? k : m), null);
      const facts = { ...(previous?.facts ?? {}), ...(run.sysbenchVersion ? { sysbench_version: run.sysbenchVersion } : {}) };
      const point = agentInfoPoint(run.tags, facts, previous?.facts ?? null, run.timeNs);
      point.fields = { ...point.fields, run_id: run.runId };
      points.push(point);
      known.push({ timeNs: run.timeNs, facts: storedFacts(point.fields as StoredRow) });
    }
  });
  if (points.length > 0) await influx.writePoints(points, { database, precision: 'n' });
  return points;
}
