// The fast tier's list (vitest.unit.config.ts) stays true: every listed file exists (a renamed
// test would otherwise silently drop out of the tier) and none imports what starts a real
// influxd, collector, QEMU guest, sysbench run or the built program.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/root.js';
import { UNIT_TESTS } from '../vitest.unit.config.js';

/** Modules whose job is to start a slow or external part. */
const STARTS_REAL_PARTS = [
  /\/collector\/influx\/influxd\.js$/, // influxd
  /\/collector\/(stack|index)\.js$/, // influxd + collector, the collector server
  /\/test\/support\/cli\.js$/, // the built program as a process
  /\/test\/support\/(procs|fixture|private-influxd)\.js$/, // collectors, agents and influxd as processes
  /\/agent\/sysbench\/runner\.js$/, // sysbench
  /\/lab\/(index|guest|kernel|initramfs|kvm-probe)\.js$/, // QEMU guests and their parts
];

describe('unit tier', () => {
  const root = packageRoot();
  it('lists only files that exist, each once', () => {
    expect(UNIT_TESTS.filter((f) => !existsSync(join(root, f)))).toEqual([]);
    expect(new Set(UNIT_TESTS).size).toBe(UNIT_TESTS.length);
  });

  it('no listed test imports a module that starts influxd, a collector, QEMU, sysbench or dist/', () => {
    const offending: string[] = [];
    for (const file of UNIT_TESTS.filter((f) => existsSync(join(root, f)))) {
      const source = readFileSync(join(root, file), 'utf8');
      // Type-only imports load nothing at run time.
      for (const [, spec] of source.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)) {
        if (STARTS_REAL_PARTS.some((re) => re.test(`/${join(file, '..', spec!)}`))) offending.push(`${file} imports ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
