// Where the package lives, from source (tsx/vitest) or from dist/, found by walking up to package.json.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder (the one holding package.json), from source or from dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('virt-overhead: cannot find the package root (package.json)');
    dir = parent;
  }
  return dir;
}
