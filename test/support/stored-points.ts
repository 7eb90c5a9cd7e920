// Test support: reads what a test's private influxd stores over plain HTTP, independent of the
// code under test (no store, no influx client): one InfluxQL statement's series, and every point
// of a measurement as comparable text, for tests that hold two databases' derived points equal.

export type QuerySeries = Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;

/** One statement's series; an InfluxQL error is thrown. `epoch: 'ns'` gives times as integers. */
export async function influxQuery(url: string, db: string, q: string, epoch = ''): Promise<QuerySeries> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&q=${encodeURIComponent(q)}${epoch ? `&epoch=${epoch}` : ''}`);
  const body = (await res.json()) as { results?: Array<{ error?: string; series?: QuerySeries }> };
  const r = body.results?.[0];
  if (r?.error) throw new Error(`${q}: ${r.error}`);
  return r?.series ?? [];
}

/** One statement's series as tags and rows (column → value, nulls left out). */
export async function seriesRows(
  url: string,
  db: string,
  q: string,
  epoch = '',
): Promise<Array<{ tags: Record<string, string>; rows: Array<Record<string, unknown>> }>> {
  return (await influxQuery(url, db, q, epoch)).map((s) => ({
    tags: s.tags ?? {},
    rows: s.values.map((v) => Object.fromEntries(s.columns.map((c, j) => [c, v[j]]).filter(([, x]) => x !== null))),
  }));
}

/** Every point of a measurement as sorted 'series|time|fields' strings. */
export async function storedPoints(url: string, db: string, m: string): Promise<string[]> {
  const out: string[] = [];
  for (const s of await influxQuery(url, db, `SELECT * FROM "${m}" GROUP BY *`)) {
    const tags = Object.entries(s.tags ?? {})
      .filter(([, v]) => v !== '')
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    for (const v of s.values)
      out.push(`${tags}|${String(v[0])}|${s.columns.map((c, i) => (i > 0 && v[i] !== null ? `${c}=${JSON.stringify(v[i])}` : '')).join(' ')}`);
  }
  return out.sort();
}
