// Facts detection cannot know (nesting depth, the host's name) come from config as KEY=VALUE.
// They are recorded beside what was detected and never overwrite it.

import { UsageError } from '../../lib/errors.js';
import { quote } from '../../lib/inert.js';
import { textProblem, WIRE_BOUNDS } from '../../schema/bounds.js';

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
    // The collector's bounds (schema/bounds.ts): refused here rather than every hello refused there.
    const bound = WIRE_BOUNDS.Environment.declared;
    const problem = textProblem(key, bound.key) ?? textProblem(value, bound.value);
    if (problem) throw new DeclaredError(`--declare ${quote(item, 80)}: ${textProblem(key, bound.key) ? 'the key' : 'the value'} ${problem}`);
    out[key] = value;
  }
  if (Object.keys(out).length > WIRE_BOUNDS.Environment.declared.maxEntries)
    throw new DeclaredError(`--declare: at most ${WIRE_BOUNDS.Environment.declared.maxEntries} facts (the collector's bound), not ${Object.keys(out).length}`);
  return out;
}
