// What the parser returns. The test and field names are the InfluxDB contract's (schema/sysbench.ts);
// they are re-exported here for the agent's own modules.
import type { IntervalFields, ResultFields } from '../../schema/sysbench.js';
import type { TestName } from '../../schema/test-types.js';

export { INTERVAL_FIELDS, RESULT_FIELDS } from '../../schema/sysbench.js';
export type { IntervalField, IntervalFields, ResultField, ResultFields } from '../../schema/sysbench.js';
export { TESTS, isTestName } from '../../schema/test-types.js';
export type { TestName } from '../../schema/test-types.js';

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
  /** The step each field was printed at, in the field's unit (latency "0.02" → 0.01 ms; 46.1087 s → 0.1 ms). */
  resolution?: Partial<Record<keyof ResultFields, number>>;
  intervals: IntervalFields[];
}
