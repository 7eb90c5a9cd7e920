// Live run: the `--report-interval` samples (`sysbench_interval`) streamed while a suite
// runs, refreshed every 5 s, and which agents are running right now.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { IntervalField } from '../../schema/sysbench.js';
import { runAnnotation } from '../annotations.js';
import { INFLUX_DATASOURCE } from '../datasource.js';
import { as, from, last, mean } from '../influxql.js';
import { tableLegend } from '../panels.js';
import { identityVariables } from '../variables.js';

function selectedSamples() {
  return from('sysbench_interval').whereTimeFilter().whereVars('group', 'agent', 'virt', 'test', 'variant');
}

export function intervalSeries<F extends IntervalField>(field: F) {
  return selectedSamples()
    .select(as(mean(field), field))
    .groupByTime('$__interval')
    .groupBy('agent', 'test')
    .fill('none');
}

export const latestSample = selectedSamples()
  .select(as(last('elapsed_s'), 'elapsed_s'), as(last('trial'), 'trial'), as(last('events_per_sec'), 'events_per_sec'), as(last('run_id'), 'run_id'))
  .groupBy('agent', 'virt', 'test');

const PANELS: Array<{ field: IntervalField; title: string; unit: string; description: string }> = [
  { field: 'events_per_sec', title: 'Events per second', unit: 'ops', description: 'cpu, threads, mutex and memory report events/s each interval.' },
  { field: 'latency_pct_ms', title: 'Latency percentile (ms)', unit: 'ms', description: 'The percentile sysbench reports (95th unless --percentile).' },
  { field: 'mib_per_sec', title: 'Memory throughput (MiB/s)', unit: 'MiBs', description: 'memory test.' },
  { field: 'read_mib_per_sec', title: 'fileio read (MiB/s)', unit: 'MiBs', description: 'fileio test.' },
  { field: 'written_mib_per_sec', title: 'fileio written (MiB/s)', unit: 'MiBs', description: 'fileio test.' },
];

function samplePanel(p: (typeof PANELS)[number]): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(intervalSeries(p.field).target('A', { alias: '$tag_agent · $tag_test' }))
    .unit(p.unit)
    .showPoints(common.VisibilityMode.Auto)
    .legend(tableLegend())
    .height(8)
    .span(12);
}

export function liveRunDashboard(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('virt-overhead: Live run')
    .uid('virt-overhead-live-run')
    .tags(['virt-overhead'])
    .description('Interval samples while a suite runs.')
    .editable()
    .time({ from: 'now-15m', to: 'now' })
    .refresh('5s')
    .liveNow(true)
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .annotation(runAnnotation());
  for (const v of identityVariables('sysbench_interval')) builder.withVariable(v);
  builder.withPanel(
    new table.PanelBuilder()
      .title('Latest sample per agent and test')
      .datasource({ ...INFLUX_DATASOURCE })
      .withTarget(latestSample.target('A', { format: 'table' }))
      .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
      .overrideByName('elapsed_s', [{ id: 'unit', value: 's' }])
      .height(6)
      .span(24),
  );
  for (const p of PANELS) builder.withPanel(samplePanel(p));
  return builder;
}
