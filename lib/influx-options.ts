// How every command that talks to InfluxDB reaches it: one option set (URL, user, password file,
// CA), declared here once and read with influxConnection(), so `collector`, `report`, `lab` and
// `quickstart` take the same names and none needs the password in its command line.
import type { OptionSpec } from './option-types.js';
import { optStr, type OptionValues } from './options.js';
import { UsageError } from './errors.js';
import { readInputFile } from './file-input.js';
import { readSecretFile, redactUrl, withCredentials } from './secret-file.js';

/** Where InfluxDB is: `url` carries the credentials (user:password@, never printed: redactUrl); `ca` is PEM text. */
export interface InfluxConnection {
  url: string;
  ca?: string;
}

/**
 * The four options. `url.default` absent: the command works without InfluxDB unless --influx is
 * given (the lab); `url.needs` ties --influx to another option (the lab's --collector).
 */
export function influxOptions(url: { help: string; default?: string; needs?: string }): OptionSpec[] {
  return [
    { name: 'influx', type: 'string', ...url },
    { name: 'influx-username', type: 'string', help: 'InfluxDB user (with --influx-password-file)' },
    { name: 'influx-password-file', type: 'path', help: 'file holding the InfluxDB password, e.g. a systemd credential (%d/influx-password)' },
    { name: 'influx-ca', type: 'path', exists: 'file', help: 'CA certificate (PEM) that signed the certificate of an https:// InfluxDB' },
  ];
}

/**
 * The options' values as a connection (undefined when --influx has neither value nor default).
 * The password is read from its file; one in the URL itself is warned about (`warn`), since
 * the process list shows it to every user. Bad combinations are usage errors naming the option.
 */
export function influxConnection(values: OptionValues, argv: readonly string[], warn: (message: string) => void): InfluxConnection | undefined {
  const url = optStr(values, 'influx');
  const user = optStr(values, 'influx-username');
  const passwordFile = optStr(values, 'influx-password-file');
  const caPath = optStr(values, 'influx-ca');
  if (url === undefined) {
    const given = [user && '--influx-username', passwordFile && '--influx-password-file', caPath && '--influx-ca'].filter(Boolean);
    if (given.length) throw new UsageError(`${given.join(' and ')} need --influx: without it they would be ignored`);
    return undefined;
  }
  if (argv.some((a) => /:\/\/[^/@\s]*:[^/@\s]*@/.test(a))) {
    warn(`the InfluxDB password in --influx ${redactUrl(url)} is visible to every user in the process list: use --influx-username and --influx-password-file`);
  }
  const ca = caPath === undefined ? undefined : readCa(caPath, url);
  const withCa = (u: string): InfluxConnection => (ca === undefined ? { url: u } : { url: u, ca });
  if (!passwordFile) {
    if (user) throw new UsageError('--influx-username needs --influx-password-file (the password is never taken on the command line)');
    return withCa(url);
  }
  if (!user) throw new UsageError('--influx-password-file needs --influx-username');
  const secret = readSecretFile(passwordFile, '--influx-password-file');
  if (secret.warning) warn(secret.warning);
  return withCa(withCredentials(url, user, secret.value));
}

/** --influx-ca's PEM text; only meaningful for an https:// URL. */
function readCa(path: string, url: string): string {
  if (!/^https:\/\//i.test(url)) throw new UsageError(`--influx-ca needs an https:// --influx (${redactUrl(url)} is plain http, so the CA would be ignored)`);
  const pem = readInputFile(path, '--influx-ca').toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--influx-ca ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}
