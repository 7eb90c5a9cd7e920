// Small helpers the dashboards share: thresholds, legends, the datasource on every panel.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { InfluxTargetBuilder } from './influxql.js';
import { INFLUX_DATASOURCE } from './datasource.js';
import type { Verdict } from '../lib/compare/compare.js';

/**
 * maxDataPoints of the fleet panels whose year would otherwise return or read a point per guest and
 * day or more: those that draw a line per guest or agent, and Variants over time (its rollup holds a
 * point per series and day, ~370 000 a year at 1 000 guests, and InfluxDB's cost is per cell). Grafana
 * makes `$__interval` = roundInterval(range / maxDataPoints), and roundInterval maps [7 d, 21 d) to a
 * week, so 52 is the largest count that makes a year weekly (52 points a line instead of 365–1 460)
 * while 30 days stay 12 h, 7 days 3 h and a day 30 min (grafana/interpolate.ts). A thousand lines of
 * daily points is no more readable than weekly ones, and InfluxDB's cost is the rows it returns.
 */
export const FLEET_MAX_DATA_POINTS = 52;

/** What those panels' descriptions say about it. */
export const WEEKLY_POINTS_NOTE =
  'Long ranges show weekly points (at most 52 points a line: a year is a point a week, 30 days one each 12 h, 7 days each 3 h).';

/** Green below `warn`, orange to `bad`, red above (overhead %: positive = guest worse). */
export function overheadThresholds(warn: number, bad: number): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: 'green' },
    { value: warn, color: 'orange' },
    { value: bad, color: 'red' },
  ]);
}

/** Green below `bad`, red from it: a count where any non-zero value is a problem (distinct steps). */
export function badAbove(bad: number): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: 'green' },
    { value: bad, color: 'red' },
  ]);
}

/** One reference line: e.g. native = 1 on a relative-performance chart. */
export function referenceLine(value: number): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: 'transparent' },
    { value, color: 'text' },
  ]);
}

export function tableLegend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Bottom).showLegend(true);
}

export function lineThresholds(): common.GraphThresholdsStyleConfigBuilder {
  return new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line);
}

/** The comparison engine's verdicts and their colours, the same in every dashboard (and the HTML report). */
export const VERDICT_COLORS = { worse: 'red', better: 'green', equivalent: 'blue', inconclusive: 'yellow', unmeasurable: 'text' } as const satisfies Record<
  Verdict,
  string
>;

function verdictMappings(): unknown[] {
  return [{ type: 'value', options: Object.fromEntries(Object.entries(VERDICT_COLORS).map(([v, color], index) => [v, { text: v, color, index }])) }];
}

/** Overhead % over time: every point shown, the 10 % / 50 % threshold lines, a table legend. */
export function overheadTimeseries(title: string, description: string, target: InfluxTargetBuilder): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(target)
    .unit('percent')
    .thresholds(overheadThresholds(10, 50))
    .thresholdsStyle(lineThresholds())
    .showPoints(common.VisibilityMode.Always)
    .legend(tableLegend());
}

/** A table of `overhead` rows: overhead_pct coloured green/orange/red, the interval in percent, the verdict in its colour. */
export function overheadTable(title: string, description: string, target: InfluxTargetBuilder): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(title)
    .description(description)
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(target)
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
    .overrideByName('overhead_pct', [
      { id: 'unit', value: 'percent' },
      { id: 'thresholds', value: overheadThresholds(10, 50).build() },
      { id: 'custom.cellOptions', value: { type: 'color-background' } },
    ])
    .overrideByRegexp('ci_.*_pct|margin_pct|noise_floor_pct', [{ id: 'unit', value: 'percent' }])
    .overrideByName('verdict', [
      { id: 'mappings', value: verdictMappings() },
      { id: 'custom.cellOptions', value: { type: 'color-background' } },
    ])
    .decimals(2)
    .height(9)
    .span(24);
}
