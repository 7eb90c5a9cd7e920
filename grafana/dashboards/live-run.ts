// Live run: the `--report-interval` samples (`sysbench_interval`) streamed while a suite
// runs, refreshed every 5 s, and which agents are running right now.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { IntervalField } from '../../schema/sysbench.js';
import type { DownsampledIntervalField } from '../../schema/influx.js';
import { runAnnotation } from '../annotations.js';
import { INFLUX_DATASOURCE } from '../datasource.js';
import { as, from, last, math, max, mean, min, sum } from '../influxql.js';
import { FLEET_MAX_DATA_POINTS, tableLegend } from '../panels.js';
import { noisePanel } from '../noise.js';
import { identityVariables } from '../variables.js';

/** The History panels' minimum interval: their points are whole UTC days. */
const ROLLUP_INTERVAL = '1d';

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
 * "Retention"), one line per agent, test and variant. At the panel's minimum interval (the
 * window) a point is the window's mean of the samples; wider intervals average the windows'
 * means (unweighted: a subquery weighting them by their sample counts cost 10 s over a year of
 * 100 guests, docs/BENCHMARKS.md), with the min of their mins and the max of their maxes.
 */
export function downsampledSeries<F extends DownsampledIntervalField>(field: F) {
  return from('sysbench_interval_5m')
    .whereTimeFilter()
    .whereVars('group', 'agent', 'virt', 'test', 'variant')
    .select(as(mean(`${field}_mean`), field), as(min(`${field}_min`), `${field}_min`), as(max(`${field}_max`), `${field}_max`))
    .groupByTime('$__interval')
    .groupBy('agent', 'test', 'variant')
    .fill('none');
}

/**
 * The History row: the daily rollup of the 5-minute windows (collector/rollup/history.ts), a point
 * per series and UTC day, so a year reads 365 points per line instead of every window (issue 26).
 * A point is the same unweighted mean of the windows' means, min of their mins and max of their
 * maxes as downsampledSeries gives over the same whole days (collector/rollup/history.influx.test.ts).
 */
export function dailySeries<F extends DownsampledIntervalField>(field: F) {
  return from('sysbench_interval_1d')
    .whereWholeDays()
    .whereVars('group', 'agent', 'virt', 'test', 'variant')
    .select(as(math`${sum(`${field}_sum`)} / ${sum(`${field}_n`)}`, field), as(min(`${field}_min`), `${field}_min`), as(max(`${field}_max`), `${field}_max`))
    .groupByTime('$__interval')
    .groupBy('agent', 'test', 'variant')
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
    .title(`${p.title}, daily history`)
    .description(
      `${p.description} Per UTC day, the mean of the day's 5-minute means (and the min / max of the samples), kept after the samples themselves expire. Whole UTC days: the range's first and last days are shown whole, each point at its day's start (00:00 UTC). Long ranges show weekly points (at most 52 points a line: a year is a point a week, of InfluxDB's weeks from Thursday 00:00 UTC, each the mean over its days' windows; up to 52 days a point a day).`,
    )
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(dailySeries(p.field).target('A', { alias: '$tag_agent · $tag_test · $tag_variant · $col' }))
    .interval(ROLLUP_INTERVAL)
    .maxDataPoints(FLEET_MAX_DATA_POINTS)
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
  builder.withPanel(noisePanel());
  for (const p of PANELS) builder.withPanel(samplePanel(p));
  // For looking back over months, past the samples' 30 days (zoom out the time range); a day per point.
  builder.withRow(new dashboard.RowBuilder('History: daily, kept after the samples expire'));
  for (const p of PANELS) builder.withPanel(historyPanel(p));
  return builder;
}
