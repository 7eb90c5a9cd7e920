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

const NICE_MS = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map((s) => s * 1000);

/** `$__interval`: the range over the panel's points (Grafana's default ~1000), rounded up to a nice step. */
export function intervalFor(range: TimeRange, maxDataPoints = 1000, minMs = 10_000): string {
  const raw = Math.max((range.toMs - range.fromMs) / maxDataPoints, minMs);
  const ms = NICE_MS.find((n) => n >= raw) ?? NICE_MS[NICE_MS.length - 1]!;
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

/** A panel's minimum interval (`interval`: '5m', '1d') in ms, as Grafana reads it; undefined when it has none. */
export function minIntervalMs(interval: string | undefined): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(interval ?? '');
  return m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'] : undefined;
}

// Grafana's `$var`, `[[var]]` / `[[var:format]]` and `${var}` / `${var.path}` / `${var:format}`.
const GRAFANA_VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.[^:^}]+)?(?::[^}]+)?\}/g;

/** `minMs`: the panel's minimum interval, up to 1 d (Grafana never makes `$__interval` shorter than it). */
export function interpolate(query: string, range: TimeRange, variables: Record<string, VariableValue>, minMs?: number): string {
  const interval = intervalFor(range, 1000, Math.max(minMs ?? 0, 10_000));
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
