// The one InfluxDB datasource every dashboard and alert rule refers to. The uid is fixed so
// that provisioning (grafana/provisioning/datasources/influxdb.yaml) and the generated JSON
// agree without a lookup by name.
export const INFLUX_DATASOURCE_UID = 'virt-overhead-influxdb';
export const INFLUX_DATASOURCE = { type: 'influxdb', uid: INFLUX_DATASOURCE_UID } as const;
export const DATABASE = 'virt_overhead';
