// Template variables shared by the dashboards. Each is an InfluxQL `SHOW TAG VALUES` query,
// narrowed by the variables before it (agent by group, ...), multi-value with All: the
// panels match them with `"tag" =~ /^$var$/`, which Grafana fills with an escaped (a|b) regex.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { INFLUX_DATASOURCE } from './datasource.js';
import { showTagValues, type VariableName } from './influxql.js';
import type { Measurement, TagOf } from '../schema/influx.js';
import { RESULT_FIELDS } from '../schema/sysbench.js';

export function tagVariable<M extends Measurement>(
  name: VariableName,
  label: string,
  measurement: M,
  key: TagOf<M>,
  narrowBy: Array<[TagOf<M>, VariableName]>,
): dashboard.QueryVariableBuilder {
  const query = showTagValues(measurement, key, narrowBy);
  return (
    new dashboard.QueryVariableBuilder(name)
      .label(label)
      .datasource({ ...INFLUX_DATASOURCE })
      .query(query)
      .definition(query)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      // All matches every value, also those older than the variable's query sees (interval
      // samples are kept 30 days; their 5-minute history for months) — and a short regex is cheap.
      .allValue('.*')
      .current({ selected: true, text: 'All', value: '$__all' })
  );
}

/** group, agent, virt, test, variant: from `measurement` (sysbench for results, agent_status for health). */
export function identityVariables(measurement: 'sysbench' | 'sysbench_interval' | 'overhead'): dashboard.QueryVariableBuilder[] {
  return [
    tagVariable('group', 'Group', measurement, 'group', []),
    tagVariable('agent', 'Agent', measurement, 'agent', [['group', 'group']]),
    tagVariable('virt', 'Virtualization', measurement, 'virt', [
      ['group', 'group'],
      ['agent', 'agent'],
    ]),
    tagVariable('test', 'Test', measurement, 'test', [['group', 'group']]),
    tagVariable('variant', 'Variant', measurement, 'variant', [['group', 'group']]),
  ];
}

/** One agent, chosen (or set by a data link): the per-guest dashboard's subject. */
export function singleAgentVariable(): dashboard.QueryVariableBuilder {
  return tagVariable('agent', 'Agent', 'sysbench', 'agent', [['group', 'group']])
    .multi(false)
    .includeAll(false)
    .current({ selected: false, text: '', value: '' });
}

/** The agent_status measurement has no `test` tag. */
export function statusVariables(): dashboard.QueryVariableBuilder[] {
  return [
    tagVariable('group', 'Group', 'agent_status', 'group', []),
    tagVariable('agent', 'Agent', 'agent_status', 'agent', [['group', 'group']]),
    tagVariable('virt', 'Virtualization', 'agent_status', 'virt', [
      ['group', 'group'],
      ['agent', 'agent'],
    ]),
    tagVariable('variant', 'Variant', 'agent_status', 'variant', [['group', 'group']]),
  ];
}

/** Which sysbench metric an overhead panel shows (overhead's `metric` tag). */
export function metricVariable(): dashboard.QueryVariableBuilder {
  return tagVariable('metric', 'Metric', 'overhead', 'metric', [
    ['group', 'group'],
    ['test', 'test'],
  ]);
}

/** One sysbench result field, single-valued: it is a column name, not a tag match. */
export function fieldVariable(defaultField: (typeof RESULT_FIELDS)[number] = 'events_per_sec'): dashboard.CustomVariableBuilder {
  return new dashboard.CustomVariableBuilder('field')
    .label('Metric')
    .values(RESULT_FIELDS.join(','))
    .multi(false)
    .includeAll(false)
    .current({ selected: true, text: defaultField, value: defaultField });
}
