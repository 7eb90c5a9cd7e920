// Facts as a write listener: an agent_info point for each hello and for each run's first
// result this collector stores. Recorded in order with the batches (so a run's change points
// see its facts), never owed: a failure is logged, and the next hello or run records them.
import type { Logger } from 'pino';
import type { InfluxDB } from 'influx';
import type { WriteListener } from '../listener.js';
import { recordHello } from './index.js';
import { recordRuns, RunFacts } from './runs.js';

export function createFactsRecorder(influx: InfluxDB, database: string, log: Logger): WriteListener {
  const runs = new RunFacts();
  return {
    name: 'recording facts',
    owed: false,
    async onResultsWritten(results) {
      const fresh = runs.newRuns(results);
      await recordRuns(influx, database, fresh).catch((err: Error) =>
        log.error({ error: err.message, runs: fresh.length, agent: fresh[0]?.tags.agent }, "writing the runs' agent_info failed"),
      );
    },
    async onHello(hello, tags, nowNs) {
      await recordHello(influx, database, tags, hello, nowNs).catch((err: Error) =>
        log.error({ error: err.message, agent: hello.agent_id }, 'writing agent_info failed'),
      );
    },
  };
}
