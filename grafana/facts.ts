// What each agent is (agent_info, docs/schema.md): the inventory table, the per-guest facts and
// the "Facts changed" annotation. A fact an older agent never reported is an empty cell that the
// panels show as "unknown" (noValue), never an error.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { INFLUX_DATASOURCE } from './datasource.js';
import { influxAnnotation } from './annotations.js';
import { as, col, from } from './influxql.js';
import { MEASUREMENTS, type FieldOf } from '../schema/influx.js';

/** The facts shown: agent_info's fields (schema/influx.ts, in its order) less the change event and the run id. */
const NOT_FACTS: ReadonlySet<string> = new Set(['changed', 'changed_detail', 'run_id']);
export const FACT_FIELDS = (Object.keys(MEASUREMENTS.agent_info.fields) as Array<FieldOf<'agent_info'>>).filter((f) => !NOT_FACTS.has(f));

/**
 * The newest agent_info point of each agent, whatever the dashboard's time range (an inventory
 * lists every agent ever seen); its time is when those facts came into force (agent_info is
 * written when the facts change, not at every connection).
 */
export function newestFacts() {
  return from('agent_info')
    .select(...FACT_FIELDS.map((f) => as(col(f), f)))
    .groupBy('group', 'agent')
    .orderByTimeDesc()
    .limit(1);
}

export const inventory = newestFacts().whereVars('group', 'agent', 'virt', 'variant');

/** A table of newestFacts() rows: memory in bytes, an empty fact shown as "unknown". */
export function factsTable(title: string, description: string, query: ReturnType<typeof newestFacts>): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(title)
    .description(description)
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(query.target('A', { format: 'table' }))
    .withTransformation({ id: 'organize', options: { renameByName: { Time: 'facts since' } } })
    .overrideByName('facts since', [{ id: 'unit', value: 'dateTimeFromNow' }])
    .overrideByName('memory_bytes', [{ id: 'unit', value: 'bytes' }])
    .noValue('unknown');
}

/** Hellos whose facts differ from the agent's previous ones (agent_info's `changed`). */
export const FACTS_CHANGED_QUERY = from('agent_info')
  .select(as(col('changed_detail'), 'changed_detail'))
  .selectTags('agent')
  .whereTimeFilter()
  .whereField('changed', '!=', '')
  .whereVar('group', 'group')
  .whereVar('agent', 'agent')
  .toString();

/** "kernel: 6.1.0 → 6.12.0" at the hello that reported it: a reason a line may step. */
export function factsChangedAnnotation(): dashboard.AnnotationQueryBuilder {
  return influxAnnotation('Facts changed', FACTS_CHANGED_QUERY, 'changed_detail', 'agent', 'rgba(255, 152, 48, 1)');
}
