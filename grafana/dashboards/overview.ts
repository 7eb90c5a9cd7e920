// Overview: how much slower each guest is than its group's baseline, over time and now, and
// native / KVM / TCG side by side. Everything reads the `overhead` measurement, which the
// collector computes (InfluxQL cannot divide one series by another).
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { changeAnnotation, runAnnotation } from '../annotations.js';
import { INFLUX_DATASOURCE } from '../datasource.js';
import { as, col, from, fromSubquery, math, mean, top } from '../influxql.js';
import { lineThresholds, overheadTable, overheadTimeseries, FLEET_MAX_DATA_POINTS, WEEKLY_POINTS_NOTE, referenceLine } from '../panels.js';
import { identityVariables, metricVariable } from '../variables.js';
import { nestedStacksTable } from './nested.js';
import { factsChangedAnnotation } from '../facts.js';
import { noisePanel } from '../noise.js';

/** The overhead points the dashboard's variables select. */
function selectedOverhead() {
  return from('overhead').whereTimeFilter().whereVars('group', 'agent', 'virt', 'test', 'variant', 'metric');
}

export const overheadOverTime = selectedOverhead()
  .select(as(mean('overhead_pct'), 'overhead_pct'))
  .groupByTime('$__interval')
  .groupBy('agent', 'test', 'metric')
  .fill('none');

// The latest overhead of each guest × test × metric: the newest point of each series, which the
// collector keeps in overhead_latest (one point per series), so the panel reads ~1 point per row
// instead of last() over every point of the range (issue 26). A guest whose latest run is outside
// the dashboard's range is not listed (a guest that stopped reporting drops off); run_ms shows its age.
// One answer: collector/latest/latest.influx.test.ts holds it to last() over the range of `overhead`.
const LATEST_COLUMNS = [
  'overhead_pct',
  'ci_low_pct',
  'ci_high_pct',
  'ratio',
  'n_guest',
  'n_baseline',
  'verdict',
  'margin_pct',
  'noise_floor_pct',
  'runs_baseline',
] as const;
/** Each guest × test × metric's latest overhead point in the range: the newest of a row's series (profiles, hosts), as last() picked. */
function latestInRange() {
  return from('overhead_latest').whereVars('group', 'agent', 'virt', 'test', 'variant', 'metric').whereFieldInRange('run_ms');
}
const LATEST_ROW = ['group', 'agent', 'virt', 'test', 'metric', 'variant', 'baseline_agent'] as const;

export const currentOverhead = latestInRange()
  // top(run_ms, 1): of a guest's series in one row (profiles, hosts), the newest, as last() picked.
  .select(as(top('run_ms', 1), 'run_ms'), ...LATEST_COLUMNS.map((c) => as(c, c)))
  .groupBy(...LATEST_ROW);

// Relative performance, higher = better, native = 1, for every metric direction at once:
// overhead_pct is defined so that 1 / (1 + overhead_pct/100) is guest/native for throughput
// and native/guest for latencies and times (docs/schema.md, docs/overhead.md). Per test and virt,
// the mean over Current overhead's rows (one answer between the two panels of the "Now" row):
// ~1 point per guest × test × metric instead of every overhead point of the range (issue 26).
const latestRows = latestInRange()
  .select(as(top('run_ms', 1), 'run_ms'), as('overhead_pct', 'overhead_pct'))
  .groupBy(...LATEST_ROW);
const relativeRows = fromSubquery(latestRows).select(as(math`100 / (100 + ${col('overhead_pct')})`, 'relative'));
export const relativeByVirt = fromSubquery(relativeRows)
  .select(as(mean('relative'), 'relative'))
  .groupBy('test', 'virt');

function overheadOverTimePanel(): timeseries.PanelBuilder {
  return overheadTimeseries(
    'Overhead against the baseline (%)',
    `Positive = the guest is slower than its group's baseline (native) host, for the same test, profile and thread count. One line per guest agent, test and metric. ${WEEKLY_POINTS_NOTE}`,
    overheadOverTime.target('A', { alias: '$tag_agent · $tag_test · $tag_metric' }),
  )
    .maxDataPoints(FLEET_MAX_DATA_POINTS)
    .height(9)
    .span(24);
}

function currentOverheadTable(): table.PanelBuilder {
  return overheadTable(
    'Current overhead',
    "The latest overhead per guest, test and metric (its latest run within the dashboard's range; 'latest run' says how long ago), with the 95 % confidence interval of the overhead (from runs: it includes how much runs differ), the trials on each side, the baseline runs used and the verdict: worse / better when the interval lies outside ±margin, equivalent when its 90 % interval lies within it and the noise floor (what run-to-run noise alone puts on the interval) is below the margin, else inconclusive; unmeasurable at sysbench's printing resolution (docs/overhead.md).",
    currentOverhead.target('A', { format: 'table' }),
  ).overrideByName('run_ms', [
    { id: 'displayName', value: 'latest run' },
    { id: 'unit', value: 'dateTimeFromNow' },
  ]);
}

function relativeBarChart(): barchart.PanelBuilder {
  return (
    new barchart.PanelBuilder()
      .title('Native / KVM / TCG: relative performance (native = 1)')
      .description(
        "Mean guest performance relative to the group's native baseline, per test and virtualization, like the charts of the seed report (higher is better): of each guest's latest run within the range, per test and metric, the Current overhead table's rows averaged by virtualization (100 / (100 + overhead %)). Native is 1 by definition; a bar above 1 means the guests measured faster than native in their latest runs.",
      )
      .datasource({ ...INFLUX_DATASOURCE })
      .withTarget(relativeByVirt.target('A', { format: 'table' }))
      // One row per test, one column per virtualization: grouped bars.
      .withTransformation({ id: 'groupingToMatrix', options: { columnField: 'virt', rowField: 'test', valueField: 'relative' } })
      .xField('test\\virt')
      .min(0)
      .decimals(2)
      .thresholds(referenceLine(1))
      .thresholdsStyle(lineThresholds())
      .showValue(common.VisibilityMode.Always)
      .height(10)
      .span(24)
  );
}

export function overviewDashboard(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('virt-overhead: Overview')
    .uid('virt-overhead-overview')
    .tags(['virt-overhead'])
    .description('Guest overhead against the native baseline of its group.')
    .editable()
    .time({ from: 'now-7d', to: 'now' })
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .annotation(runAnnotation())
    .annotation(changeAnnotation())
    .annotation(factsChangedAnnotation());
  for (const v of identityVariables('overhead')) builder.withVariable(v);
  builder.withVariable(metricVariable());
  return builder
    .withRow(new dashboard.RowBuilder('Over time'))
    .withPanel(overheadOverTimePanel())
    .withPanel(noisePanel())
    .withRow(new dashboard.RowBuilder('Now'))
    .withPanel(currentOverheadTable())
    .withPanel(relativeBarChart())
    .withRow(new dashboard.RowBuilder('Nested stacks'))
    .withPanel(nestedStacksTable());
}
