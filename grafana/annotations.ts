// Annotations marking runs: the first trial of each test a guest or baseline ran, from the
// `sysbench` points (InfluxQL annotation: the time column places it, run_id is the text).
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { INFLUX_DATASOURCE } from './datasource.js';
import { as, col, from } from './influxql.js';

export const RUN_ANNOTATION_QUERY = from('sysbench')
  .select(as(col('run_id'), 'run_id'))
  .selectTags('agent', 'test')
  .whereTimeFilter()
  .whereField('trial', '=', 1)
  .whereVar('group', 'group')
  .whereVar('agent', 'agent')
  // The newest 2 000 runs: over months (150 000 runs a year for 100 guests) every marker cost
  // seconds and covered the chart (docs/BENCHMARKS.md); zoom in for older ones.
  .orderByTimeDesc()
  .limit(2000)
  .toString();

export function influxAnnotation(
  name: string,
  query: string,
  textColumn: string,
  tagsColumn: string,
  color: string,
  timeEndColumn?: string,
): dashboard.AnnotationQueryBuilder {
  // InfluxQL annotations keep their query and column mapping on the target.
  const target = {
    refId: name,
    query,
    rawQuery: true,
    textColumn,
    tagsColumn,
    ...(timeEndColumn ? { timeEndColumn } : {}),
    fromAnnotations: true,
    textEditor: true,
    _implementsDataqueryVariant() {},
  };
  return new dashboard.AnnotationQueryBuilder()
    .name(name)
    .datasource({ ...INFLUX_DATASOURCE })
    .enable(true)
    .iconColor(color)
    .target({ build: () => target });
}

export function runAnnotation(): dashboard.AnnotationQueryBuilder {
  return influxAnnotation('Runs', RUN_ANNOTATION_QUERY, 'run_id', 'agent,test', 'rgba(0, 211, 255, 1)');
}

/**
 * Change points (docs/changes.md) of the guests and tests in view: one marker at the first run
 * after each step; a drift is a region from its first run to its end (end_ms), tagged `drift`.
 */
export const CHANGE_ANNOTATION_QUERY = from('overhead_change')
  .select(as(col('summary'), 'summary'), as(col('shape'), 'shape'), as(col('end_ms'), 'end_ms'))
  .selectTags('agent', 'test', 'metric', 'kind', 'cause')
  .whereTimeFilter()
  .whereVar('group', 'group')
  .whereVar('agent', 'agent')
  .toString();

/** On every panel of the dashboard (Grafana shows dashboard annotations on all time-series panels). */
export function changeAnnotation(): dashboard.AnnotationQueryBuilder {
  return influxAnnotation('Change points', CHANGE_ANNOTATION_QUERY, 'summary', 'kind,cause,shape,test,metric', 'rgba(242, 73, 92, 1)', 'end_ms');
}
