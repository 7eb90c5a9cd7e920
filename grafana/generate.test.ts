// The committed dashboards and alert rules are exactly what the TypeScript generates, and
// they hang together: panel ids unique, the datasource uid the provisioning defines, the
// provider path the compose stack mounts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAll, repoRoot } from './generate.js';
import { interpolate } from './interpolate.js';
import { as, from, mean } from './influxql.js';

const ROOT = repoRoot();

describe('grafana/generate', () => {
  const files = renderAll();

  it('regenerating yields byte-identical files to those committed', () => {
    expect(files.size).toBe(5);
    for (const [rel, content] of files) expect(readFileSync(join(ROOT, rel), 'utf8'), rel).toBe(content);
  });

  it('dashboards: unique uids and panel ids, no gnetId, every query on the datasource variable, whose default is the provisioned one', () => {
    const ds = parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8'));
    const uid = ds.datasources[0].uid;
    expect(ds.datasources[0]).toMatchObject({ type: 'influxdb', access: 'proxy', url: '${INFLUX_URL}', jsonData: { dbName: 'virt_overhead' } });
    const uids = new Set<string>();
    for (const [rel, content] of files) {
      if (!rel.endsWith('.json')) continue;
      const d = JSON.parse(content);
      expect(d.gnetId).toBeUndefined();
      uids.add(d.uid);
      const ids = d.panels.map((p: { id: number }) => p.id);
      expect(new Set(ids).size, rel).toBe(ids.length);
      // No hard-coded datasource: every reference is the variable, so the JSON imports into any Grafana.
      const refs = [...content.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== d.uid);
      expect(refs.length).toBeGreaterThan(0);
      for (const r of refs) expect(r, rel).toBe('${datasource}');
      const v = d.templating.list[0];
      expect(v, rel).toMatchObject({ type: 'datasource', name: 'datasource', query: 'influxdb', current: { value: uid } });
      expect(ds.datasources[0]).toMatchObject({ type: v.query, name: v.current.text });
    }
    expect(uids.size).toBe(4);
  });

  it('alert rules name the provisioned datasource: provisioned alerting cannot use template variables', () => {
    const ds = parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8'));
    const rules = files.get('grafana/provisioning/alerting/overhead-rules.yaml')!;
    expect(rules).not.toContain('${datasource}');
    const uids = new Set([...rules.matchAll(/datasourceUid: (\S+)/g)].map((m) => m[1]));
    expect(uids).toEqual(new Set(['__expr__', ds.datasources[0].uid]));
  });

  it('the dashboard provider reads the folder the compose stack mounts the JSON into', () => {
    const p = parse(readFileSync(join(ROOT, 'grafana/provisioning/dashboards/virt-overhead.yaml'), 'utf8'));
    expect(p.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  });
});

describe('InfluxQL builder and interpolation', () => {
  it('quotes identifiers and builds the clauses in InfluxQL order', () => {
    const q = from('overhead')
      .select(as(mean('overhead_pct'), 'o'))
      .whereTimeFilter()
      .whereVar('group', 'group')
      .groupByTime('$__interval')
      .groupBy('agent')
      .fill('none');
    expect(q.toString()).toBe(
      'SELECT mean("overhead_pct") AS "o" FROM "overhead" WHERE $timeFilter AND "group" =~ /^$group$/ GROUP BY time($__interval), "agent" fill(none)',
    );
  });

  it('rejects an alias that is not a plain identifier', () => {
    expect(() => as(mean('ratio'), 'a b')).toThrow(/plain identifier/);
  });

  it('interpolates like Grafana: ms time filter, regex-escaped (a|b) for multi values, plain single values', () => {
    const q = interpolate(
      'SELECT "$field" FROM x WHERE $timeFilter AND "agent" =~ /^$agent$/ GROUP BY time($__interval)',
      { fromMs: 0, toMs: 3_600_000 },
      {
        agent: { multi: true, values: ['a.b', 'c/d'] },
        field: { multi: false, value: 'events_per_sec' },
      },
    );
    // 3600 s over 1000 points = 3.6 s, below the 10 s minimum interval.
    expect(q).toBe('SELECT "events_per_sec" FROM x WHERE time >= 0ms and time <= 3600000ms AND "agent" =~ /^(a\\.b|c\\/d)$/ GROUP BY time(10s)');
  });

  it('refuses a query that names a variable it was not given', () => {
    expect(() => interpolate('SELECT x FROM y WHERE "a" =~ /^$nope$/', { fromMs: 0, toMs: 1 }, {})).toThrow(/\$nope/);
    expect(() => interpolate('SELECT x FROM y WHERE $other', { fromMs: 0, toMs: 1 }, {})).toThrow(/\$other/);
  });
});
