// Small helpers the dashboards share: thresholds, legends, the datasource on every panel.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { InfluxTargetBuilder } from './influxql.js';
import { INFLUX_DATASOURCE } from './datasource.js';
import type { Verdict } from '../lib/compare/compare.js';

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
