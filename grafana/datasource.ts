// The InfluxDB datasource of the dashboards and alert rules. Dashboards read it through their
// `datasource` template variable, so they import into an existing Grafana and run on whichever
// InfluxDB datasource the user picks; its default is the provisioned uid, so a provisioned
// stack picks grafana/provisioning/datasources/influxdb.yaml's datasource by itself (Grafana
// falls back to the default InfluxDB datasource when that uid does not exist). Alert rules
// cannot use template variables (Grafana evaluates them without a dashboard): they keep the uid.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

export const INFLUX_DATASOURCE_UID = 'virt-overhead-influxdb';
/** The provisioned datasource itself: alert rules. */
export const PROVISIONED_DATASOURCE = { type: 'influxdb', uid: INFLUX_DATASOURCE_UID } as const;
/** What every panel, annotation and variable query of a dashboard names: the `datasource` variable. */
export const INFLUX_DATASOURCE = { type: 'influxdb', uid: '${datasource}' } as const;
export const DATABASE = 'virt_overhead';

/** The `datasource` variable (type influxdb), first on every dashboard. */
export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('InfluxDB')
    .type('influxdb')
    .current({ selected: true, text: 'virt-overhead InfluxDB', value: INFLUX_DATASOURCE_UID });
}
