// The `influx` client for a URL (quickstart's results table, the lab's checks and tests read
// InfluxDB with it), and the one error that says InfluxDB is not there at all.
import { InfluxDB } from 'influx';
import { redactUrl } from '../../lib/secret-file.js';
import { influxUrl } from './url.js';

export class InfluxUnreachableError extends Error {
  override name = 'InfluxUnreachableError';
}

/**
 * A client for `url` (http or https; user:password@ in it becomes its credentials; `ca`: PEM of
 * the CA an https InfluxDB's certificate is checked against); a bad URL is a usage error.
 */
export function influxClient(url: string, database: string, ca?: string): InfluxDB {
  const u = influxUrl(url);
  return new InfluxDB({
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 8086)),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    database,
    ...(u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
    ...(ca !== undefined ? { options: { ca } } : {}),
  });
}

/** The client for `url`, once InfluxDB answered /ping (within 5 s); else InfluxUnreachableError. */
export async function connectInflux(url: string, database: string, ca?: string): Promise<InfluxDB> {
  const influx = influxClient(url, database, ca);
  const pings = await influx.ping(5000);
  if (!pings.some((p) => p.online)) throw new InfluxUnreachableError(`InfluxDB is not reachable at ${redactUrl(url)} (no answer to /ping within 5 s)`);
  return influx;
}
