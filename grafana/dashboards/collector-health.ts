// The collector's own health (collector_stats, docs/schema.md): panels of the Agent health
// dashboard, since a stuck collector is why agents' spools grow.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { INFLUX_DATASOURCE } from '../datasource.js';
import { as, from, last, max, mean } from '../influxql.js';
import { badAbove, tableLegend } from '../panels.js';

export const collectorNow = from('collector_stats')
  .select(
    as(last('open_streams'), 'open_streams'),
    as(last('queue_depth'), 'queue_depth'),
    as(last('spool_backlog'), 'spool_backlog'),
    as(last('points_written'), 'points_written'),
    as(last('points_failed'), 'points_failed'),
    as(last('write_ms_max'), 'write_ms_max'),
  )
  .whereTimeFilter()
  .groupBy('collector');

export const collectorLoad = from('collector_stats')
  .select(as(max('queue_depth'), 'queue_depth'), as(max('open_streams'), 'open_streams'), as(max('spool_backlog'), 'spool_backlog'))
  .whereTimeFilter()
  .groupByTime('$__interval')
  .groupBy('collector')
  .fill('none');

export const collectorWrites = from('collector_stats')
  .select(as(mean('write_ms_avg'), 'write_ms_avg'), as(max('write_ms_max'), 'write_ms_max'))
  .whereTimeFilter()
  .groupByTime('$__interval')
  .groupBy('collector')
  .fill('none');

export function collectorPanels(): Array<table.PanelBuilder | timeseries.PanelBuilder> {
  return [
    new table.PanelBuilder()
      .title('Collectors now')
      .description(
        "Each collector's newest numbers (one point per --stats-interval): streams open, points waiting to be written, records waiting in agent spools, points written and failed writes since it started (red: any failed), the slowest write of the last period. No row: no collector wrote its stats in this range.",
      )
      .datasource({ ...INFLUX_DATASOURCE })
      .withTarget(collectorNow.target('A', { format: 'table' }))
      .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
      .overrideByName('points_failed', [
        { id: 'thresholds', value: badAbove(1).build() },
        { id: 'custom.cellOptions', value: { type: 'color-text' } },
      ])
      .overrideByName('write_ms_max', [{ id: 'unit', value: 'ms' }])
      .height(6)
      .span(24),
    new timeseries.PanelBuilder()
      .title('Collector queue, streams and agent spools')
      .description(
        "queue_depth: points waiting for InfluxDB; open_streams: agents connected; spool_backlog: records waiting on agents' disks. A queue that keeps growing means InfluxDB cannot keep up.",
      )
      .datasource({ ...INFLUX_DATASOURCE })
      .withTarget(collectorLoad.target('A', { alias: '$tag_collector · $col' }))
      .unit('short')
      .showPoints(common.VisibilityMode.Auto)
      .legend(tableLegend())
      .height(7)
      .span(12),
    new timeseries.PanelBuilder()
      .title('InfluxDB write time')
      .description('Mean and slowest InfluxDB write per period; agents get their acks when a write returns, so this is most of the ack latency.')
      .datasource({ ...INFLUX_DATASOURCE })
      .withTarget(collectorWrites.target('A', { alias: '$tag_collector · $col' }))
      .unit('ms')
      .showPoints(common.VisibilityMode.Auto)
      .legend(tableLegend())
      .height(7)
      .span(12),
  ];
}
