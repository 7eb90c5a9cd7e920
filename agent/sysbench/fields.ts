// What the parser returns. The test and field names are the InfluxDB contract's (schema/sysbench.ts);
// they are re-exported here for the agent's own modules.
import type { IntervalFields, ResultFields, TestName } from '../../schema/sysbench.js';

export { INTERVAL_FIELDS, RESULT_FIELDS, TESTS, isTestName } from '../../schema/sysbench.js';
export type { IntervalField, IntervalFields, ResultField, ResultFields, TestName } from '../../schema/sysbench.js';

/** One sysbench invocation found in a text (the shape `virt-overhead parse --json` prints). */
export interface Invocation {
  sysbench_version: string | null;
  test: TestName | null;
  phase: 'run' | 'prepare' | 'cleanup';
  threads: number | null;
  ok: boolean;
  errors: string[];
  warnings: string[];
  fields: ResultFields;
  intervals: IntervalFields[];
}
