// Durations and sizes as people write them in options and config files.
import { UsageError } from './errors.js';

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Durations like 500ms, 30s, 10m, 6h, 1d; a bare number means seconds. Returns milliseconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--${option}: cannot read duration '${text}' (use e.g. 30s, 10m, 6h, 1d)`);
  return Number(m[1]) * DURATION_UNITS[(m[2] ?? 's') as keyof typeof DURATION_UNITS];
}

/** Sizes like 256MiB, 2G, 512k; a bare number means bytes. Binary multiples (k = 1024). */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--${option}: cannot read size '${text}' (use e.g. 256MiB, 2G)`);
  const power = ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}
