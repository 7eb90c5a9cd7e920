// Variants: A/B comparison of configurations labelled with `--variant` (e.g. stock-qemu vs
// patched-qemu): per variant the mean, spread and confidence interval of a sysbench metric,
// and the collector's overhead with its confidence interval.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { FieldOf } from '../../schema/influx.js';
import { changeAnnotation, runAnnotation } from '../annotations.js';
import { INFLUX_DATASOURCE } from '../datasource.js';
import { as, from, math, num, sqrt, sum, top, variableColumn } from '../influxql.js';
import { FLEET_MAX_DATA_POINTS, overheadTable, tableLegend, WEEKLY_POINTS_NOTE } from '../panels.js';
import { fieldVariable, identityVariables, metricVariable } from '../variables.js';

/** The rollup's points are whole UTC days: no interval shorter than a day. */
const ROLLUP_INTERVAL = '1d';

// From the daily rollup of the ok trials (sysbench_1d, collector/rollup/trials.ts): a point per
// series and UTC day instead of every trial of the range (issue 26). Over the same whole days it
// gives the trials' mean, count and sample stddev (collector/rollup/trials.influx.test.ts).
const rolled = (suffix: '_n' | '_sum' | '_sq') => sum(variableColumn<FieldOf<'sysbench_1d'>>('field', suffix));
const n = rolled('_n');
const rolledMean = math`${rolled('_sum')} / ${n}`;
// √((Σx² − (Σx)²/n)/(n − 1)); abs(): rounding can leave a constant metric's variance a hair below 0.
const sd = sqrt(math`abs(${rolled('_sq')} - ${rolled('_sum')} * ${rolled('_sum')} / ${n}) / (${n} - ${num(1)})`);
// 1.96 · s / √n: the normal approximation, narrower than Student's t for few trials; the
// description says so and points to `virt-overhead report` for the t-based interval.
const halfWidth = math`${num(1.96)} * ${sd} / ${sqrt(n)}`;

export const variantStats = from('sysbench_1d')
  .whereWholeDays()
  .whereVars('group', 'agent', 'virt', 'test', 'variant')
  .select(
    as(rolledMean, 'mean'),
    as(sd, 'stddev'),
    as(n, 'n'),
    as(math`${rolledMean} - ${halfWidth}`, 'ci_low'),
    as(math`${rolledMean} + ${halfWidth}`, 'ci_high'),
  )
  .groupBy('test', 'variant', 'virt');

/**
 * The metric's mean per variant and test over time, from the same daily rollup: Σsum / Σn of the
 * interval's days, the mean of their ok trials (collector/rollup/trials.influx.test.ts), so a year
 * reads a point per series and day instead of every trial (issue 26). Whole UTC days, as variantStats.
 */
export const variantOverTime = from('sysbench_1d')
  .whereWholeDays()
  .whereVars('group', 'agent', 'virt', 'test', 'variant')
  .select(as(rolledMean, 'value'))
  .groupByTime('$__interval')
  .groupBy('variant', 'test')
  .fill('none');

// Each guest's latest overhead per variant, from overhead_latest (one point per series; the
// newest of a row's series by top(run_ms)), as the Overview's Current overhead reads it (issue 26).
export const variantOverhead = from('overhead_latest')
  .whereVars('group', 'agent', 'virt', 'test', 'variant', 'metric')
  .whereFieldInRange('run_ms')
  .select(as(top('run_ms', 1), 'run_ms'), ...(['overhead_pct', 'ci_low_pct', 'ci_high_pct', 'n_guest', 'verdict'] as const).map((c) => as(c, c)))
  .groupBy('test', 'metric', 'variant', 'agent');

export function variantsDashboard(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('virt-overhead: Variants (A/B)')
    .uid('virt-overhead-variants')
    .tags(['virt-overhead'])
    .description('Compare configurations (--variant) by their sysbench results and overhead.')
    .editable()
    .time({ from: 'now-30d', to: 'now' })
    .annotation(runAnnotation())
    .annotation(changeAnnotation());
  for (const v of identityVariables('sysbench')) builder.withVariable(v);
  builder.withVariable(fieldVariable('events_per_sec')).withVariable(metricVariable());
  return builder
    .withPanel(
      new table.PanelBuilder()
        .title('$field per variant: mean and 95 % CI')
        .description(
          'Successful trials only, of whole UTC days: the range is widened to the start of its first day and the end of its last (the daily rollup sysbench_1d; a month-long range moves by at most a day). CI = mean ± 1.96·s/√n (normal approximation: too narrow with few trials). For Student-t intervals and a significance test between two variants use `virt-overhead report`.',
        )
        .datasource({ ...INFLUX_DATASOURCE })
        .withTarget(variantStats.target('A', { format: 'table' }))
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
        .decimals(3)
        .height(9)
        .span(24),
    )
    .withPanel(
      overheadTable(
        'Overhead per variant (latest, with 95 % CI)',
        "The collector's overhead against the baseline, per variant: two variants differ significantly for a metric when their CIs do not overlap (conservative).",
        variantOverhead.target('A', { format: 'table' }),
      ).overrideByName('run_ms', [
        { id: 'displayName', value: 'latest run' },
        { id: 'unit', value: 'dateTimeFromNow' },
      ]),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('$field by variant over time')
        .description(
          `Successful trials only: per variant and test, the mean of the interval's trials, from the daily rollup sysbench_1d. Whole UTC days: a point is at least a day (at its 00:00 UTC), and the range's first and last days are shown whole. ${WEEKLY_POINTS_NOTE}`,
        )
        .datasource({ ...INFLUX_DATASOURCE })
        .withTarget(variantOverTime.target('A', { alias: '$tag_variant · $tag_test' }))
        .interval(ROLLUP_INTERVAL)
        // A year of the rollup is a point per series and day: weekly points cut InfluxDB's work 4× (issue 26).
        .maxDataPoints(FLEET_MAX_DATA_POINTS)
        .showPoints(common.VisibilityMode.Always)
        .legend(tableLegend())
        .height(9)
        .span(24),
    );
}
