// schema/bounds.ts is the one table of what an agent may send: it names every field of every
// message an agent sends in proto/virtoverhead.proto (read here with protobufjs, not through
// the table), docs/schema.md shows exactly that table, and its helpers keep their promises.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/root.js';
import { boundsBlock, renderBounds } from './bounds-doc.js';
import { fitText, METRIC_RANGES, metricProblem, stepProblem, textProblem, WIRE_BOUNDS } from './bounds.js';
import { INTERVAL_FIELDS, RESULT_FIELDS } from './sysbench.js';

/** Field names and message-typed fields of a proto message, as @grpc/proto-loader describes it. */
interface Described {
  type: { field: Array<{ name: string; type: string; typeName: string }> };
}
const definition = loadSync(join(packageRoot(), 'proto', 'virtoverhead.proto'), { keepCase: true }) as unknown as Record<string, Described>;

/** The messages an agent sends: AgentMessage's body and everything reachable from it. */
function agentMessages(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    const fields = definition[`virtoverhead.v1.${name}`]!.type.field;
    out.set(
      name,
      fields.map((f) => f.name),
    );
    // A map field is a repeated message of a nested entry type, not a message of the package.
    for (const f of fields) if (f.type === 'TYPE_MESSAGE' && definition[`virtoverhead.v1.${f.typeName}`]) visit(f.typeName);
  };
  for (const f of definition['virtoverhead.v1.AgentMessage']!.type.field) visit(f.typeName);
  return out;
}

describe('schema/bounds.ts', () => {
  it('has a bound for every field of every message an agent sends, and none for a field the proto lacks', () => {
    const proto = agentMessages();
    expect([...proto.keys()].sort()).toEqual(Object.keys(WIRE_BOUNDS).sort());
    for (const [message, fields] of proto) expect(Object.keys(WIRE_BOUNDS[message as keyof typeof WIRE_BOUNDS]).sort(), message).toEqual([...fields].sort());
  });

  it('gives every result and interval metric a range', () => {
    expect(Object.keys(METRIC_RANGES).sort()).toEqual([...new Set([...RESULT_FIELDS, ...INTERVAL_FIELDS])].sort());
  });

  it('is the block docs/schema.md shows (regenerate: npm run build && node scripts/bounds-doc.mjs)', () => {
    const page = readFileSync(join(packageRoot(), 'docs', 'schema.md'), 'utf8');
    expect(boundsBlock(page)).toBe(renderBounds());
  });

  it('metricProblem: 0, then 1e-11 up to the metric maximum; nothing finer, negative or not finite', () => {
    expect(metricProblem('events_per_sec', 0)).toBeUndefined();
    expect(metricProblem('events_per_sec', 1e-11)).toBeUndefined();
    expect(metricProblem('events_per_sec', 1e11)).toBeUndefined();
    expect(metricProblem('events_per_sec', 1e-322)).toMatch(/finer than sysbench prints/);
    expect(metricProblem('events_per_sec', 1.0000001e11)).toMatch(/out of range/);
    expect(metricProblem('latency_pct', 100.5)).toMatch(/out of range 0 .. 100 percentile/);
    expect(metricProblem('events_per_sec', -0)).toBeUndefined();
    for (const bad of [NaN, Infinity, -1, '1']) expect(metricProblem('events_per_sec', bad)).toBeDefined();
  });

  it('stepProblem: 1e-11 .. 2^20', () => {
    expect(stepProblem(1e-11)).toBeUndefined();
    expect(stepProblem(1048576)).toBeUndefined();
    for (const bad of [5e-324, 9.99e-12, 1048577, 0, -1, NaN]) expect(stepProblem(bad)).toBeDefined();
  });

  it("textProblem counts bytes, and the 'name' charset is lower-case letters, digits and dashes", () => {
    expect(textProblem('é'.repeat(64), { maxBytes: 128, charset: 'tag' })).toBeUndefined();
    expect(textProblem('é'.repeat(65), { maxBytes: 128, charset: 'tag' })).toBe('is longer than 128 bytes');
    // At the edge of the shortcut that skips counting (at most 3 bytes per UTF-16 unit): 3-byte and 4-byte characters.
    expect(textProblem('€'.repeat(42) + 'ab', { maxBytes: 128, charset: 'tag' })).toBeUndefined();
    expect(textProblem('€'.repeat(43), { maxBytes: 128, charset: 'tag' })).toBe('is longer than 128 bytes');
    expect(textProblem('😀'.repeat(32), { maxBytes: 128, charset: 'tag' })).toBeUndefined();
    expect(textProblem('😀'.repeat(32) + 'a', { maxBytes: 128, charset: 'tag' })).toBe('is longer than 128 bytes');
    expect(textProblem('qemu-tcg', { maxBytes: 32, charset: 'name' })).toBeUndefined();
    expect(textProblem('QEMU', { maxBytes: 32, charset: 'name' })).toMatch(/lower-case/);
    expect(textProblem('a\\b', { maxBytes: 32, charset: 'text' })).toBeUndefined();
    expect(textProblem('a\u001bb', { maxBytes: 32, charset: 'raw' })).toBeUndefined();
  });

  it('fitText: the agent makes a fact it read fit (unprintable replaced, cut at a character, never over the bound)', () => {
    expect(fitText('Debian 12', 256)).toBe('Debian 12');
    expect(fitText('6.1\u001b[2J\u202e', 256)).toBe('6.1\uFFFD[2J\uFFFD');
    const cut = fitText('€'.repeat(1000), 256);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(256);
    expect(cut.endsWith('€…')).toBe(true);
    expect(textProblem(cut, { maxBytes: 256, charset: 'text' })).toBeUndefined();
    const astral = fitText('😀'.repeat(100), 20);
    expect(Buffer.byteLength(astral)).toBeLessThanOrEqual(20);
    expect(textProblem(astral, { maxBytes: 20, charset: 'text' })).toBeUndefined();
  });
});
