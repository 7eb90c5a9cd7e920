// docs/schema.md and schema/influx.ts describe one contract: every measurement, tag and field
// the page names exists in code with the same type, and every one in code is on the page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/root.js';
import { IDENTITY_TAGS, MEASUREMENTS, type FieldType } from './influx.js';

interface DocMeasurement {
  tags: Set<string>;
  fields: Map<string, string>;
}

const ticked = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
/** Table cells, splitting on | that is not escaped as \|. */
const cells = (row: string): string[] =>
  row
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

/** Reads the page by the conventions it states at its top (## `name` headings, a Tags: paragraph, field tables). */
function readDoc(text: string): { identity: string[]; measurements: Map<string, DocMeasurement> } {
  const sections = text.split(/^## /m).slice(1);
  const identitySection = sections.find((s) => s.startsWith('Identity tags'));
  if (!identitySection) throw new Error('docs/schema.md has no "Identity tags" section');
  const tableNames = (section: string): Array<[string, string]> =>
    section
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .flatMap((l) => {
        const [names = '', type = ''] = cells(l);
        return ticked(names).map((n): [string, string] => [n, type]);
      });
  const identity = tableNames(identitySection).map(([n]) => n);
  const measurements = new Map<string, DocMeasurement>();
  const tagsRefs = new Map<string, string[]>();
  for (const section of sections) {
    const name = /^`([^`]+)`/.exec(section)?.[1];
    if (!name) continue;
    const paragraph = /^Tags:([\s\S]*?)(?:\n\s*\n|(?![\s\S]))/m.exec(section)?.[1];
    if (paragraph === undefined) throw new Error(`docs/schema.md: \`${name}\` has no Tags: paragraph`);
    const prose = paragraph.replace(/\([^)]*\)/g, '');
    const tags = new Set(ticked(prose));
    const ref = /\bas `([^`]+)`/.exec(prose)?.[1];
    if (ref) tags.delete(ref);
    if (/identity tags/i.test(prose)) for (const t of identity) tags.add(t);
    tagsRefs.set(name, ref ? [ref] : []);
    measurements.set(name, { tags, fields: new Map(tableNames(section)) });
  }
  // "as `m`": the tags of another measurement, resolved after all are read.
  const resolve = (name: string, seen: string[] = []): Set<string> => {
    const m = measurements.get(name);
    if (!m || seen.includes(name)) throw new Error(`docs/schema.md: tags "as \`${name}\`" name no measurement on the page`);
    const out = new Set(m.tags);
    for (const ref of tagsRefs.get(name) ?? []) for (const t of resolve(ref, [...seen, name])) out.add(t);
    return out;
  };
  for (const [name, m] of measurements) m.tags = resolve(name);
  return { identity, measurements };
}

const doc = readDoc(readFileSync(join(packageRoot(), 'docs', 'schema.md'), 'utf8'));

describe('docs/schema.md is schema/influx.ts', () => {
  it('names the same measurements', () => {
    expect([...doc.measurements.keys()].sort()).toEqual(Object.keys(MEASUREMENTS).sort());
  });
  it('names the same identity tags', () => {
    expect([...doc.identity].sort()).toEqual([...IDENTITY_TAGS].sort());
  });
  for (const [name, spec] of Object.entries(MEASUREMENTS)) {
    it(`${name}: same tags`, () => {
      expect([...(doc.measurements.get(name)?.tags ?? [])].sort()).toEqual([...spec.tags].sort());
    });
    it(`${name}: same fields with the same types`, () => {
      const documented = Object.fromEntries([...(doc.measurements.get(name)?.fields ?? [])].sort());
      const code = Object.fromEntries(Object.entries(spec.fields as Record<string, FieldType>).sort());
      expect(documented).toEqual(code);
    });
  }
  it('no name is both a tag and a field of one measurement (InfluxDB 3 forbids it)', () => {
    for (const spec of Object.values(MEASUREMENTS)) {
      const tags: readonly string[] = spec.tags;
      expect(Object.keys(spec.fields).filter((f) => tags.includes(f))).toEqual([]);
    }
  });
});
