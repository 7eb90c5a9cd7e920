// Facts detection cannot know (nesting depth, the host's name) come from config as KEY=VALUE.
// They are recorded beside what was detected and never overwrite it.

import { UsageError } from '../../lib/errors.js';

/** A bad --declare item: a usage error like any other (exit 2). */
export class DeclaredError extends UsageError {
  override name = 'DeclaredError';
}

const KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;

export function parseDeclared(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new DeclaredError(`--declare '${item}': expected KEY=VALUE, e.g. nesting="L2 inside VMware" or host=lab-7`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (!KEY.test(key)) throw new DeclaredError(`--declare '${item}': key '${key}' must start with a letter and use only letters, digits, '_', '.', '-'`);
    if (key in out && out[key] !== value) throw new DeclaredError(`--declare: '${key}' declared twice with different values ('${out[key]}' and '${value}')`);
    out[key] = value;
  }
  return out;
}
