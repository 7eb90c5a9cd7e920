// Live run: the `--report-interval` samples (`sysbench_interval`) streamed while a suite
// runs, refreshed every 5 s, and which agents are running right now.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { IntervalField } from '../../schema/sysbench.js';
import type { DownsampledIntervalField } from '../../schema/influx.js';
import { DOWNSAMPLE_WINDOW } from '../../schema/retention.js';
import { runAnnotation } from '../annotations.js';
import { INFLUX_DATASOURCE } from '../datasource.js';
import { agg, as, col, from, fromSubquery, last, math, max, mean, min } from '../influxql.js';
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

/**
 * The long view: the 5-minute downsampling kept after the samples expire (docs/schema.md
 * "Retention"). Each window's mean weighted by its sample count, so a wider interval (or two
 * variants of one agent and test) gives the mean of the samples themselves, not of the windows;
 * min and max of the windows' min and max. The panel's minimum interval is the window.
 */
export function downsampledSeries<F extends DownsampledIntervalField>(field: F) {
  const windows = from('sysbench_interval_5m')
    .whereTimeFilter()
    .whereVars('group', 'agent', 'virt', 'test', 'variant')
    // Only windows that have the field (values are ≥ 0): the others would add their samples to n.
    .whereField(`${field}_mean`, '>=', 0)
    .select(
      as(math`${col(`${field}_mean`)} * ${col('samples')}`, 'total'),
      as(col('samples'), 'n'),
      as(col(`${field}_min`), 'lo'),
      as(col(`${field}_max`), 'hi'),
    );
  return fromSubquery(windows)
    .select(as(math`${agg('sum', col('total'))} / ${agg('sum', col('n'))}`, field), as(min('lo'), `${field}_min`), as(max('hi'), `${field}_max`))
    .whereTimeFilter()
    .groupByTime('$__interval')
    .groupBy('agent', 'test')
    .fill('none');
}

export const latestSample = selectedSamples()
  .select(as(last('elapsed_s'), 'elapsed_s'), as(last('trial'), 'trial'), as(last('events_per_sec'), 'events_per_sec'), as(last('run_id'), 'run_id'))
  .groupBy('agent', 'virt', 'test');

const PANELS: Array<{ field: DownsampledIntervalField; title: string; unit: string; description: string }> = [
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

function historyPanel(p: (typeof PANELS)[number]): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(`${p.title}, 5-minute history`)
    .description(`${p.description} The 5-minute mean (and min / max) of the samples, kept after the samples themselves expire.`)
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(downsampledSeries(p.field).target('A', { alias: '$tag_agent · $tag_test · $col' }))
    .interval(DOWNSAMPLE_WINDOW)
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
  // For looking back over weeks or months, past the samples' 30 days (zoom out the time range).
  builder.withRow(new dashboard.RowBuilder('History: 5-minute downsampling, kept after the samples expire'));
  for (const p of PANELS) builder.withPanel(historyPanel(p));
  return builder;
}
