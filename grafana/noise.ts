// Noise you can see (docs/noise.md): what else ran while each agent measured — steal and
// contention (% of the CPU time its trials wanted) and the 1-minute load — from the trials'
// `sysbench` points, one line per agent and signal. On the Live run and Overview dashboards:
// the first thing to look at when a line jumps.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { INFLUX_DATASOURCE } from './datasource.js';
import { as, from, mean } from './influxql.js';
import { FLEET_MAX_DATA_POINTS, WEEKLY_POINTS_NOTE, tableLegend } from './panels.js';

export const noiseSeries = from('sysbench')
  .whereTimeFilter()
  .whereVars('group', 'agent', 'virt', 'test', 'variant')
  .select(as(mean('steal_pct'), 'steal_pct'), as(mean('contention_pct'), 'contention_pct'), as(mean('load1'), 'load1'))
  .groupByTime('$__interval')
  .groupBy('agent')
  .fill('none');

export function noisePanel(): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title('Noise: steal, contention and load per agent')
    .description(
      "What else ran during each agent's trials (docs/noise.md): steal_pct, the share of the CPU time the machine's CPUs used or wanted that the hypervisor took; contention_pct, the share of the CPU time the trials' threads wanted that other runnable tasks took (fair-share estimate, an upper bound); load1, the load average (right axis). A trial that lost more than 5 % to either is flagged disturbed. " +
        WEEKLY_POINTS_NOTE,
    )
    .maxDataPoints(FLEET_MAX_DATA_POINTS)
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(noiseSeries.target('A', { alias: '$tag_agent · $col' }))
    .unit('percent')
    .min(0)
    .overrideByRegexp('.*load1', [
      { id: 'unit', value: 'none' },
      { id: 'custom.axisPlacement', value: 'right' },
    ])
    .showPoints(common.VisibilityMode.Auto)
    .legend(tableLegend())
    .height(8)
    .span(24);
}
