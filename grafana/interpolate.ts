// Replaces Grafana's InfluxDB macros and template variables in a query the way Grafana's
// InfluxDB datasource does, so the generated dashboards' queries can run outside Grafana
// (tests, `npm run` checks): `$timeFilter`, `${__from}`/`${__to}` (ms), `$__interval`, and `$var` or `${var}` (regex-escaped and
// joined as `(a|b)` for multi-value / All variables, plain for single-value ones). A variable's name
// is read as Grafana reads it (VARIABLE_REGEX in its features/variables/utils.ts): `$var` takes every
// word character after the `$`, so `$field_sum` is a variable `field_sum`; `${field}_sum` is `field` then `_sum`.

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** The value of a variable: one option, or all selected options of a multi / All variable. */
export type VariableValue = { multi: false; value: string } | { multi: true; values: string[] };

// Grafana's escape for values inside /.../ (InfluxDB datasource, interpolateQueryExpr).
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/**
 * Grafana's roundInterval (packages/grafana-data/src/datetime/rangeutil.ts): a raw interval in ms
 * to the step of the row it falls in, [upper bound, step]; at or past the last bound, a year.
 */
const ROUND_INTERVAL: ReadonlyArray<readonly [number, number]> = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12500, 10000],
  [17500, 15000],
  [25000, 20000],
  [45000, 30000],
  [90000, 60000],
  [210000, 120000],
  [450000, 300000],
  [750000, 600000],
  [1050000, 900000],
  [1500000, 1200000],
  [2700000, 1800000],
  [5400000, 3600000],
  [9000000, 7200000],
  [16200000, 10800000],
  [32400000, 21600000],
  [86400000, 43200000],
  [604800000, 86400000],
  [1814400000, 604800000],
  [3628800000, 2592000000],
];

export function roundInterval(ms: number): number {
  return ROUND_INTERVAL.find(([below]) => ms < below)?.[1] ?? 31536000000;
}

/** Grafana's secondsToHms (rangeutil.ts): the largest unit only, truncated (7 d → '7d', 90 s → '1m'). */
export function secondsToHms(seconds: number): string {
  const units: Array<[number, string]> = [
    [31536000, 'y'],
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  let rest = seconds;
  for (const [size, unit] of units) {
    const n = Math.floor(rest / size);
    if (n) return `${n}${unit}`;
    rest %= size;
  }
  const ms = Math.floor(seconds * 1000);
  return ms ? `${ms}ms` : 'less than a millisecond';
}

/** The datasource's "Min time interval" (provisioning/datasources/influxdb.yaml, timeInterval). */
export const DATASOURCE_MIN_INTERVAL = '10s';

/** A panel's settings that make its `$__interval`; Grafana's defaults where it sets none. */
export interface PanelInterval {
  /** The panel's `interval` (its minimum interval, '1d'); none: the datasource's. */
  minInterval?: string;
  /** The panel's `maxDataPoints`; none: Grafana uses the panel's width in pixels, taken here as 1 000. */
  maxDataPoints?: number;
}

export const DEFAULT_MAX_DATA_POINTS = 1000;

/**
 * `$__interval` as Grafana makes it (PanelQueryRunner → rangeutil.calculateInterval): the range over
 * maxDataPoints, rounded by roundInterval, raised to the low limit (the panel's minimum interval,
 * else the datasource's), written by secondsToHms.
 */
export function intervalFor(range: TimeRange, panel: PanelInterval = {}): string {
  const lowLimitMs = intervalToMs(panel.minInterval ?? DATASOURCE_MIN_INTERVAL);
  const ms = Math.max(roundInterval((range.toMs - range.fromMs) / (panel.maxDataPoints ?? DEFAULT_MAX_DATA_POINTS)), lowLimitMs);
  return secondsToHms(ms / 1000);
}

const INTERVAL_UNIT_S: Record<string, number> = { y: 31536000, M: 2592000, w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };

/** Grafana's intervalToMs (rangeutil.ts describeInterval): '1d' → 86 400 000; a bare number is seconds. */
export function intervalToMs(interval: string): number {
  if (Number(interval)) return parseInt(interval, 10) * 1000;
  const m = /^(-?\d+(?:\.\d+)?)(ms|[Mwdhmsy])/.exec(interval);
  if (!m) throw new Error(`interval '${interval}': not a number followed by one of ${Object.keys(INTERVAL_UNIT_S).join(', ')}`);
  return INTERVAL_UNIT_S[m[2]!]! * 1000 * parseInt(m[1]!, 10);
}

// Grafana's `$var`, `[[var]]` / `[[var:format]]` and `${var}` / `${var.path}` / `${var:format}`.
const GRAFANA_VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.[^:^}]+)?(?::[^}]+)?\}/g;

/** `panel`: the panel's minimum interval and maxDataPoints, which make `$__interval` (intervalFor). */
export function interpolate(query: string, range: TimeRange, variables: Record<string, VariableValue>, panel: PanelInterval = {}): string {
  const interval = intervalFor(range, panel);
  let q = query
    .replaceAll('$timeFilter', `time >= ${Math.floor(range.fromMs)}ms and time <= ${Math.ceil(range.toMs)}ms`)
    .replaceAll('${__from}', String(Math.floor(range.fromMs)))
    .replaceAll('${__to}', String(Math.ceil(range.toMs)))
    .replaceAll('$__interval', interval);
  // One pass, so a substituted value is never read again as a variable; an unknown name is left for the check below.
  q = q.replace(GRAFANA_VARIABLE, (whole, plain?: string, bracketed?: string, _format?: string, braced?: string) => {
    const v = variables[plain ?? bracketed ?? braced ?? ''];
    if (!v) return whole;
    return v.multi ? `(${v.values.map(escapeRegex).join('|')})` : v.value;
  });
  // `$/` ends a regex and `\$` is an escaped value: neither is a variable.
  const left = /(?<!\\)\$(\{\w+\}|[A-Za-z_]\w*)/.exec(q);
  if (left) throw new Error(`query still holds ${left[0]} after interpolation: no such variable`);
  return q;
}
