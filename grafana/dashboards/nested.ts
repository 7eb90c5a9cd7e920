// Nested stacks (docs/overhead.md): one table row per layer of each chain root → L1 → L2,
// sorted by chain and depth: the layer's own cost (against its parent) beside the whole
// stack's (against the root), and whether the layers multiply to the whole stack. Reads
// `overhead_chain`, written by the collector for agents that declare --parent.
import * as table from '@grafana/grafana-foundation-sdk/table';
import { INFLUX_DATASOURCE } from '../datasource.js';
import { as, from, last } from '../influxql.js';
import { overheadThresholds } from '../panels.js';

function chainPoints(against: 'parent' | 'root') {
  return from('overhead_chain').whereTimeFilter().whereVars('group', 'agent', 'virt', 'test', 'variant', 'metric').whereTag('against', '=', against);
}

/** Each layer against its parent. */
export const layerCost = chainPoints('parent')
  .select(
    as(last('chain'), 'chain'),
    as(last('depth'), 'depth'),
    as(last('overhead_pct'), 'layer_pct'),
    as(last('ci_low_pct'), 'layer_ci_low_pct'),
    as(last('ci_high_pct'), 'layer_ci_high_pct'),
  )
  .groupBy('group', 'agent', 'variant', 'test', 'metric');

/** The whole stack under each layer, and the product of the layers' ratios against it. */
export const stackCost = chainPoints('root')
  .select(
    as(last('overhead_pct'), 'stack_pct'),
    as(last('ci_low_pct'), 'stack_ci_low_pct'),
    as(last('ci_high_pct'), 'stack_ci_high_pct'),
    as(last('layers_ratio'), 'layers_ratio'),
    as(last('ratio'), 'stack_ratio'),
    as(last('layers_agree'), 'layers_agree'),
  )
  .groupBy('group', 'agent', 'variant', 'test', 'metric');

export function nestedStacksTable(): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('Nested stacks: the cost of each layer')
    .description(
      'One row per layer of each chain (root > L1 > L2, agents that declare --parent): layer_pct is what this layer costs against the one it runs on, stack_pct what the whole stack under it costs against the root, both with their 95 % intervals. layers_ratio is the product of the per-layer ratios down the chain; layers_agree says whether the whole-stack ratio lies within its interval. A layer measured from inside includes everything below it.',
    )
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(layerCost.target('A', { format: 'table' }))
    .withTarget(stackCost.target('B', { format: 'table' }))
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
    .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'depth' }] } })
    .overrideByRegexp('(layer|stack)_pct', [
      { id: 'unit', value: 'percent' },
      { id: 'thresholds', value: overheadThresholds(10, 50).build() },
      { id: 'custom.cellOptions', value: { type: 'color-background' } },
    ])
    .overrideByRegexp('.*_ci_.*_pct', [{ id: 'unit', value: 'percent' }])
    .decimals(2)
    .height(9)
    .span(24);
}
