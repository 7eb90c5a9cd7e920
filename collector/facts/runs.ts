// Facts with each run (issue 14 item 1): an agent connects once per run in --once and timer
// mode, but a daemon agent keeps one connection for many runs, so its hello's facts can go
// stale — sysbench upgraded under it shows only in its results' `sysbench_version`. So each
// run is also an observation of its agent's facts, at the first result of the run this
// collector stores: the facts in force then with what the run itself reports (recorder.ts
// stores them when that differs). Each run once, not each result.
import { IDENTITY_TAGS, type IdentityTags } from '../../schema/influx.js';
import type { WrittenResult } from '../listener.js';

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
