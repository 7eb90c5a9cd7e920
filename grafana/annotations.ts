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
  .toString();

export function runAnnotation(): dashboard.AnnotationQueryBuilder {
  // InfluxQL annotations keep their query and column mapping on the target.
  const target = {
    refId: 'Runs',
    query: RUN_ANNOTATION_QUERY,
    rawQuery: true,
    textColumn: 'run_id',
    tagsColumn: 'agent,test',
    fromAnnotations: true,
    textEditor: true,
    _implementsDataqueryVariant() {},
  };
  return new dashboard.AnnotationQueryBuilder()
    .name('Runs')
    .datasource({ ...INFLUX_DATASOURCE })
    .enable(true)
    .iconColor('rgba(0, 211, 255, 1)')
    .target({ build: () => target });
}
