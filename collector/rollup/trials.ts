// The trials rollup: `sysbench_1d`, one point per series and UTC day of the ok trials in
// `sysbench` (issue 26), which the Variants "mean and 95 % CI" table reads (Σsum/Σn and the
// stddev from n, Σ, Σ²) instead of every trial of its range. Kept by the collector with the
// rollup engine (engine.ts), as the History rollup is: after each batch the touched agents' days
// are rolled up again from their stored trials; at start every day whose ok trials the rollup
// does not count (`trials`) is rolled up again.
import type { Logger } from 'pino';
import { RESULT_FIELDS } from '../../schema/sysbench.js';
import type { RetentionSettings } from '../../schema/retention.js';
import type { RawQuery } from '../influx/http.js';
import type { WriteListener } from '../listener.js';
import type { Store } from '../store/store.js';
import type { RollupSpec } from './daily.js';
import { createRollupListener, fillRollup } from './engine.js';

export const TRIALS_ROLLUP: RollupSpec = {
  measurement: 'sysbench_1d',
  source: 'sysbench',
  metrics: RESULT_FIELDS,
  // A trial is one value per metric: its count, sum and square, and it is its own min and max.
  value: (m) => m,
  min: (m) => m,
  max: (m) => m,
  countField: 'trials',
  counted: 'ok',
  // The panels count successful trials only (`"ok" = true`).
  only: { field: 'ok', value: true },
  // A result is its trial: it lies in its own day.
  lookBackMs: 0,
};

/** The collector's trials rollup: its listener, and its start fill (in the background). */
export function trialsRollup(o: { store: Store; query: RawQuery; retention: RetentionSettings; log: Logger }): { listener: WriteListener; fill(): void } {
  return {
    listener: createRollupListener(TRIALS_ROLLUP, o.store),
    fill() {
      fillRollup(TRIALS_ROLLUP, o.store, o.query, o.retention).then(
        (days) => days > 0 && o.log.info({ days }, 'sysbench_1d brought up to date'),
        (err: Error) => o.log.warn({ error: err.message }, 'could not check sysbench_1d; each agent’s days are rolled up again with its next results'),
      );
    },
  };
}
