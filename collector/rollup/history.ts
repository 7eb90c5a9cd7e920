// The History rollup: `sysbench_interval_1d`, one point per series and UTC day of the 5-minute
// windows (`sysbench_interval_5m`) the Live run dashboard's History row reads (issue 26). Kept by
// the collector, not by a continuous query: agents replay spools days late, and a CQ only sees
// the last hour. After each batch of results it downsamples the touched agents' days again from
// their samples (the CQ's own SELECT, so it writes what the CQ writes, only sooner) and rolls
// those days up from what `sysbench_interval_5m` then holds; at start it rolls up every day whose
// windows the rollup does not count (a database from before it, a crash between the two writes).
// Its listener and fill are the rollup engine's (engine.ts); this file adds the downsampling.
import type { Logger } from 'pino';
import { DOWNSAMPLED_INTERVAL_FIELDS } from '../../schema/influx.js';
import { measurementRef, type RetentionSettings } from '../../schema/retention.js';
import type { RawQuery } from '../influx/http.js';
import { downsampleSelect } from '../influx/retention.js';
import type { WriteListener } from '../listener.js';
import { whereClause } from '../store/influx.js';
import type { Store, Where } from '../store/store.js';
import type { RollupSpec } from './daily.js';
import { createRollupListener, fillRollup } from './engine.js';

/**
 * How long before its result a trial's samples may lie: a result is stamped at its trial's end,
 * its samples during the trial. A trial is minutes long; samples more than this before any
 * result of their agent are rolled up at the collector's next start.
 */
export const SAMPLES_BEFORE_RESULT_MS = 3_600_000;

export const HISTORY_ROLLUP: RollupSpec = {
  measurement: 'sysbench_interval_1d',
  source: 'sysbench_interval_5m',
  metrics: DOWNSAMPLED_INTERVAL_FIELDS,
  // The History panels average the windows' means (unweighted) and take the min of their mins, the max of their maxes.
  value: (m) => `${m}_mean`,
  min: (m) => `${m}_min`,
  max: (m) => `${m}_max`,
  countField: 'windows',
  counted: 'samples',
  lookBackMs: SAMPLES_BEFORE_RESULT_MS,
};

export interface HistoryRollupDeps {
  store: Store;
  /** Downsamples the samples of `where` into `sysbench_interval_5m` (InfluxDB's SELECT … INTO). */
  downsample(where: Where): Promise<void>;
  /**
   * Told when downsampling fails (a server without SELECT … INTO): the day is still rolled up from
   * the windows the continuous query made so far (the start fill completes it), and the batch's
   * other work is not redone for it. Without it the failure fails the batch.
   */
  onDownsampleError?(err: Error): void;
}

/** `downsample` over InfluxDB: the continuous query's SELECT, limited to the agents and day given. */
export function influxDownsample(query: RawQuery, database: string, retention: RetentionSettings): HistoryRollupDeps['downsample'] {
  return async (where) => {
    const answer = await query(downsampleSelect(database, retention, whereClause(where).replace(/^ WHERE /, '')));
    const error = answer.error ?? answer.results?.[0]?.error;
    if (error) throw new Error(`downsampling ${measurementRef('sysbench_interval', retention)}: ${error}`);
  };
}

/** The listener: after each batch, the touched agents' days downsampled again and rolled up. */
export function createHistoryRollup(deps: HistoryRollupDeps): WriteListener {
  return createRollupListener(HISTORY_ROLLUP, deps.store, (where) =>
    deps.downsample(where).catch((err: Error) => {
      if (!deps.onDownsampleError) throw err;
      deps.onDownsampleError(err);
    }),
  );
}

/** At start (after the 5-minute backfill): every day whose stored windows the rollup does not count rolled up again. Returns the days rolled up. */
export function fillHistoryRollup(store: Store, query: RawQuery, retention: RetentionSettings, nowMs = Date.now()): Promise<number> {
  return fillRollup(HISTORY_ROLLUP, store, query, retention, nowMs);
}

/** The collector's History rollup: its listener, and its start fill run once `after` (the 5-minute backfill) settled. */
export function historyRollup(o: { store: Store; query: RawQuery; database: string; retention: RetentionSettings; log: Logger }): {
  listener: WriteListener;
  fill(after: Promise<unknown>): void;
} {
  let warned = false;
  return {
    listener: createHistoryRollup({
      store: o.store,
      downsample: influxDownsample(o.query, o.database, o.retention),
      onDownsampleError: (err) => {
        if (warned) return;
        warned = true;
        o.log.warn(
          { error: err.message },
          'cannot downsample the samples of a batch (SELECT … INTO); each day is rolled up from the windows the continuous query made so far and completed at the next start (said once)',
        );
      },
    }),
    fill(after) {
      void after
        .then(() => fillHistoryRollup(o.store, o.query, o.retention))
        .then(
          (days) => days > 0 && o.log.info({ days }, 'sysbench_interval_1d brought up to date'),
          (err: Error) =>
            o.log.warn({ error: err.message }, 'could not check sysbench_interval_1d; each agent’s days are rolled up again with its next results'),
        );
    },
  };
}
