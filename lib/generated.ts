// Files generated from code and committed (dashboards, alert rules, man pages): written when they
// differ, or with `check` only compared, so a test or CI can say which are stale.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes (or, with `check`, compares) each file below `root`; returns how many were stale. `how` says how to regenerate. */
export function syncGenerated(root: string, files: Map<string, string>, check: boolean, how: string): number {
  let stale = 0;
  for (const [rel, content] of files) {
    const path = join(root, rel);
    if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
    if (check) {
      console.error(`stale: ${rel} (run: ${how})`);
      stale++;
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${rel}`);
  }
  return stale;
}
