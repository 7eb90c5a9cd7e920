// What the collector does with retention at start (docs/schema.md "Retention"): policies and
// the downsampling continuous query made to match the options, then every stored sample
// downsampled again in the background (samples that arrived too late for the CQ).
import type { Logger } from 'pino';
import type { RetentionSettings } from '../../schema/retention.js';
import type { RawQuery } from './http.js';
import { backfillDownsampled, ensureContinuousQuery, ensurePolicies, showPolicies } from './retention.js';

export interface RetentionSetup {
  /** The background downsampling of stored samples (resolves with the 5-minute points written). */
  backfill: Promise<number>;
}

export async function setUpRetention(query: RawQuery, database: string, settings: RetentionSettings, log: Logger): Promise<RetentionSetup> {
  await ensurePolicies(query, database, settings, log);
  await ensureContinuousQuery(query, database, settings, log);
  const t0 = Date.now();
  const backfill = backfillDownsampled(query, database, settings).then(
    (points) => {
      if (points > 0) log.info({ points, ms: Date.now() - t0 }, 'downsampled the stored interval samples into sysbench_interval_5m');
      return points;
    },
    (err: Error) => {
      log.warn({ error: err.message }, 'could not downsample the stored interval samples; the continuous query still covers the last hour');
      return 0;
    },
  );
  return { backfill };
}

/**
 * --no-create-db: an administrator made the database, and so the policies. A samples policy
 * that does not exist would hold every sample write forever: say so at start, with the fix.
 */
export async function checkRetention(query: RawQuery, database: string, settings: RetentionSettings, log: Logger): Promise<void> {
  let names: string[];
  try {
    names = (await showPolicies(query, database)).map((p) => p.name);
  } catch (err) {
    log.warn({ error: (err as Error).message }, 'cannot list the retention policies (InfluxDB 3 / 2.x map them to buckets): make sure samples can be written');
    return;
  }
  if (settings.samples.name !== settings.kept.name && !names.includes(settings.samples.name))
    log.error(
      { database, policies: names },
      `retention policy "${settings.samples.name}" for interval samples does not exist: create it (CREATE RETENTION POLICY "${settings.samples.name}" ON "${database}" DURATION ${settings.samples.duration} REPLICATION 1) or pass --samples-policy ${settings.kept.name}`,
    );
}
