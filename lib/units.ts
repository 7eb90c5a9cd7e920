// Durations and sizes as people write them in options and config files: one grammar for every
// duration option (and the report's --since), so '2w' means the same everywhere.
import { UsageError } from './errors.js';

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * Durations like 500ms, 30s, 10m, 6h, 1d, 2w; returns milliseconds. The unit is required (a bare
 * '6' meant six seconds to the parser and six hours to the person who wrote `--interval 6`),
 * except for 0, which is zero in any unit.
 */
export function parseDuration(text: string, option: string): number {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(t);
  if (!m) throw new UsageError(`--${option}: cannot read duration '${text}' (use a number and a unit: ms, s, m, h, d or w, e.g. 30s, 10m, 6h, 2w)`);
  if (m[2] === undefined) {
    if (Number(m[1]) === 0) return 0;
    throw new UsageError(`--${option} ${t}: ${t} what? e.g. ${t}h, ${t}m or ${t}s (a duration needs its unit: ms, s, m, h, d or w)`);
  }
  return Number(m[1]) * DURATION_UNITS[m[2] as keyof typeof DURATION_UNITS];
}

/** Sizes like 256MiB, 2G, 512k; a bare number means bytes. Binary multiples (k = 1024). */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--${option}: cannot read size '${text}' (use e.g. 256MiB, 2G)`);
  const power = ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}
