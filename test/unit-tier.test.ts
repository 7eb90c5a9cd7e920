// The fast tier's list (vitest.unit.config.ts) stays true: every listed file exists (a renamed
// test would otherwise silently drop out of the tier) and none loads, directly or through any
// chain of helpers, what starts a real influxd, collector, QEMU guest, sysbench run or the built
// program.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/root.js';
import { UNIT_TESTS } from '../vitest.unit.config.js';

/** Modules whose job is to start a slow or external part (paths relative to the repository). */
const STARTS_REAL_PARTS = [
  /^collector\/influx\/influxd\.ts$/, // influxd
  /^collector\/(stack|index)\.ts$/, // influxd + collector, the collector server
  /^test\/support\/cli\.ts$/, // the built program as a process
  /^dist\//, // the built program's modules (the load agent and append loop run over them)
  /^agent\/sysbench\/runner\.ts$/, // sysbench
  /^lab\/(index|guest|kernel|initramfs|kvm-probe)\.ts$/, // QEMU guests and their parts
];

/** Specifiers a module loads at run time: static imports and re-exports (not `import type`), side-effect and dynamic imports. */
function runtimeSpecifiers(source: string): string[] {
  const out: string[] = [];
  for (const [, spec] of source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^;'"]*?\bfrom\s*)?['"]([^'"]+)['"]/gm)) out.push(spec!);
  for (const [, spec] of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(spec!);
  return out;
}

/** A relative specifier as the file it names in the repository (TypeScript sources for `.js`), or undefined. */
function resolveLocal(root: string, from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined; // packages and node: builtins
  const base = join(dirname(from), spec);
  const candidates = spec.endsWith('.js') ? [base.replace(/\.js$/, '.ts'), base] : [base, `${base}.ts`, join(base, 'index.ts')];
  const found = candidates.find((c) => existsSync(join(root, c)) && !c.endsWith('/'));
  return found ?? base;
}

/** Every chain of local imports from file to a module that starts a real part, as "a → b → c". */
function chainsToRealParts(root: string, file: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const walk = (mod: string, path: string[]) => {
    if (seen.has(mod)) return;
    seen.add(mod);
    if (STARTS_REAL_PARTS.some((re) => re.test(mod))) {
      found.push([...path, mod].join(' → '));
      return;
    }
    if (!existsSync(join(root, mod)) || !/\.(ts|mjs|js)$/.test(mod)) return;
    for (const spec of runtimeSpecifiers(readFileSync(join(root, mod), 'utf8'))) {
      const next = resolveLocal(root, mod, spec);
      if (next) walk(relative(root, join(root, next)), [...path, mod]);
    }
  };
  walk(file, []);
  return found;
}

describe('unit tier', () => {
  const root = packageRoot();
  it('lists only files that exist, each once', () => {
    expect(UNIT_TESTS.filter((f) => !existsSync(join(root, f)))).toEqual([]);
    expect(new Set(UNIT_TESTS).size).toBe(UNIT_TESTS.length);
  });

  it('no listed test loads, even through helpers, a module that starts influxd, a collector, QEMU, sysbench or dist/', () => {
    const offending = UNIT_TESTS.filter((f) => existsSync(join(root, f))).flatMap((f) => chainsToRealParts(root, f));
    expect(offending).toEqual([]);
  });

  it('the walk follows a chain of helpers and skips type-only imports', () => {
    // The guard itself can fail: a test that reaches influxd two helpers away is found, through
    // the real helper that starts it (test/support/fixture.ts), and an `import type` is not.
    const chains = chainsToRealParts(root, 'test/support/fixture.ts');
    expect(chains).toContain('test/support/fixture.ts → collector/influx/influxd.ts');
    expect(
      runtimeSpecifiers(
        "import type { X } from './a.js';\nimport { type Y, z } from './b.js';\nexport * from './c.js';\nimport './d.js';\nawait import('./e.js');",
      ),
    ).toEqual(['./b.js', './c.js', './d.js', './e.js']);
  });
});
