// Facts with each run (issue 14 item 1): an agent connects once per run in --once and timer
// mode, but a daemon agent keeps one connection for many runs, so its hello's facts can go
// stale — sysbench upgraded under it shows only in its results' `sysbench_version`. So each
// run is also an observation of its agent's facts, at the first result of the run this
// collector stores: the facts in force then with what the run itself reports (recorder.ts
// stores them when that differs). Each run once, not each result. A run not heard of for a while
// (forgetAfterMs: its agent went away) is forgotten; a result of it arriving after that is one
// more observation, which recorder.ts stores only if the facts differ.
import { FORGET_AFTER_MS, IdleMap } from '../../lib/idle-map.js';
import { IDENTITY_TAGS, type IdentityTags } from '../../schema/influx.js';
import type { WrittenResult } from '../listener.js';

export interface RunStart {
  tags: IdentityTags;
  runId: string;
  sysbenchVersion: string;
  timeNs: bigint;
}

/** Remembers the runs it saw (bounded by count and age), so each run is recorded once per collector. */
export class RunFacts {
  private readonly seen: IdleMap<string, true>;

  constructor(maxRuns = 10_000, forget: { afterMs: number; now?: () => number } = { afterMs: FORGET_AFTER_MS }) {
    this.seen = new IdleMap({ idleMs: forget.afterMs, max: maxRuns, now: forget.now });
  }

  /** Runs remembered now (a test checks what is forgotten). */
  get size(): number {
    return this.seen.size;
  }

  /** The runs of these results not seen before, each at its earliest result here. */
  newRuns(points: readonly WrittenResult[]): RunStart[] {
    const found = new Map<string, RunStart>();
    /** Runs seen before with results in this batch: heard from now, once each. */
    const heard = new Set<string>();
    for (const p of points) {
      const runId = p.fields.run_id;
      if (typeof runId !== 'string') continue;
      const key = `${p.tags.group}\0${p.tags.agent}\0${runId}`;
      if (this.seen.has(key)) {
        heard.add(key);
        continue;
      }
      const timeNs = BigInt(p.timestamp_ns);
      const have = found.get(key);
      if (have && have.timeNs <= timeNs) continue;
      const tags = Object.fromEntries(IDENTITY_TAGS.map((t) => [t, p.tags[t] ?? ''])) as IdentityTags;
      found.set(key, { tags, runId, sysbenchVersion: p.tags.sysbench_version ?? '', timeNs });
    }
    for (const key of heard) this.seen.touch(key);
    for (const key of found.keys()) this.seen.set(key, true);
    return [...found.values()];
  }
}
