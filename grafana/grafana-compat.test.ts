// Grafana as users run it (issue 14 item 7), checked on the committed JSON: a schemaVersion the
// pinned Grafana (deploy/docker-compose.yml) understands, links between the dashboards, threshold
// steps at distinct increasing values, and rate units on MiB/s panels.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRAFANA_SCHEMA_VERSION } from './generate.js';

const ROOT = join(import.meta.dirname, '..');
const DIR = join(ROOT, 'grafana/dashboards/json');
type Any = Record<string, any>;
const dashboards: Array<[string, Any]> = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8'))]);

/** Every thresholds object anywhere in a dashboard. */
function thresholds(node: unknown, out: Any[] = []): Any[] {
  if (Array.isArray(node)) node.forEach((n) => thresholds(n, out));
  else if (node && typeof node === 'object') {
    const o = node as Any;
    if (Array.isArray(o.steps) && o.mode) out.push(o);
    Object.values(o).forEach((v) => thresholds(v, out));
  }
  return out;
}

describe('Grafana compatibility', () => {
  it('the compose file pins Grafana 11.3, whose newest dashboard schema is 40: ours is ≤ 40', () => {
    const compose = readFileSync(join(ROOT, 'deploy/docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/image: grafana\/grafana:11\.3\./);
    expect(GRAFANA_SCHEMA_VERSION).toBeLessThanOrEqual(40);
    for (const [f, d] of dashboards) expect(d.schemaVersion, f).toBe(GRAFANA_SCHEMA_VERSION);
  });

  it('every dashboard links to the others (tag virt-overhead, which every dashboard has)', () => {
    for (const [f, d] of dashboards) {
      expect(d.tags, f).toContain('virt-overhead');
      expect(d.links, f).toEqual([expect.objectContaining({ type: 'dashboards', tags: ['virt-overhead'], includeVars: true, keepTime: true })]);
    }
  });

  it('threshold steps sit at distinct, increasing values', () => {
    for (const [f, d] of dashboards)
      for (const t of thresholds(d)) {
        const values = t.steps.map((s: Any) => s.value).filter((v: unknown) => v !== null);
        for (let i = 1; i < values.length; i++) expect(values[i], `${f}: ${JSON.stringify(t.steps)}`).toBeGreaterThan(values[i - 1]);
      }
  });

  it('MiB/s panels use the rate unit MiBs, not the size unit mbytes', () => {
    for (const [f, d] of dashboards)
      for (const p of d.panels ?? []) {
        if (/MiB\/s/.test(p.title)) expect(p.fieldConfig?.defaults?.unit, `${f}: ${p.title}`).toBe('MiBs');
        expect(p.fieldConfig?.defaults?.unit, `${f}: ${p.title}`).not.toBe('mbytes');
      }
  });
});
