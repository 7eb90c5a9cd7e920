// Facts as a write listener: each hello's facts, and each run's sysbench version, recorded when
// they differ from the agent's newest stored facts (recorder.ts). In order with the batches (so a
// run's change points see its facts), never owed: a failure is logged, and the next hello or run
// records them.
import type { Logger } from 'pino';
import type { WriteListener } from '../listener.js';
import type { Store } from '../store/store.js';
import { helloFacts } from './index.js';
import { FactsRecorder } from './recorder.js';
import { RunFacts } from './runs.js';

export function createFactsRecorder(store: Store, log: Logger, recorder = new FactsRecorder(store), runs = new RunFacts()): WriteListener {
  return {
    name: 'recording facts',
    owed: false,
    async onResultsWritten(results) {
      const fresh = runs.newRuns(results);
      if (fresh.length === 0) return;
      await recorder
        .record(fresh.map((r) => ({ tags: r.tags, timeNs: r.timeNs, facts: { sysbenchVersion: r.sysbenchVersion }, runId: r.runId })))
        .catch((err: Error) => log.error({ error: err.message, runs: fresh.length, agent: fresh[0]?.tags.agent }, "recording the runs' facts failed"));
    },
    async onHellos(hellos) {
      // Together: one read of each group not known, and one write of every change (issue 26).
      await recorder
        .record(hellos.map(({ hello, tags, nowNs }) => ({ tags, timeNs: nowNs, facts: { hello: helloFacts(hello) } })))
        .catch((err: Error) =>
          log.error({ error: err.message, hellos: hellos.length, agent: hellos[0]?.hello.agent_id }, 'recording the facts of hellos failed'),
        );
    },
  };
}
