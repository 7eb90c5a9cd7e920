// A temp dir that is removed when the test that made it ends — or, made in a describe body, when
// that suite ends. A test that leaves its dir behind leaves one more in /tmp on every CI run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    // Not inside a test: vitest refuses onTestFinished there, and afterAll belongs to the suite.
    afterAll(remove);
  }
  return dir;
}
