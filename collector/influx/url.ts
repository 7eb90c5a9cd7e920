// The check that a string is an InfluxDB base URL, on its own so that commands which only read
// through the store (`report`) do not load the `influx` npm package with it (0.36–0.68 s of the
// report's start at load ~9, issue 26).
import { UsageError } from '../../lib/errors.js';
import { redactUrl } from '../../lib/secret-file.js';

/** `url` as an InfluxDB base URL (http or https); anything else is a usage error that says so. */
export function influxUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`'${redactUrl(url)}' is not an InfluxDB URL (e.g. http://127.0.0.1:8086)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`InfluxDB URL '${redactUrl(url)}' must start with http:// or https://`);
  return u;
}
