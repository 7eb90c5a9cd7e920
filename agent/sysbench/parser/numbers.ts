// Number and unit helpers. sysbench always prints '.' as the decimal point; anything that
// does not read as a finite number is treated as absent, never as 0 or NaN.

const NUMBER_AT_START = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)/;

/** The number a string starts with (after spaces), or undefined. Never NaN/Infinity. */
export function leadingNumber(text: string): number | undefined {
  const m = NUMBER_AT_START.exec(text.trimStart());
  if (!m) return undefined;
  const value = Number(m[0]);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The printing step of the number a string starts with, times `factor` (the unit conversion the
 * value went through): "0.02" → 0.01, "46.1087" with factor 1000 → 0.1. Undefined without a number.
 */
export function printedStep(text: string, factor = 1): number | undefined {
  const m = NUMBER_AT_START.exec(text.trimStart());
  if (!m) return undefined;
  const dot = m[0].indexOf('.');
  const decimals = dot < 0 ? 0 : m[0].length - dot - 1;
  return stepAt(decimals, factor);
}

// scale() rounds through toPrecision, which cost the parser a fifth of its time when run for
// every printed value; a step depends only on (decimals, factor) and sysbench's units give a
// handful of factors, so each step is computed once. NaN stands for "no step" in the table.
const STEPS = new Map<number, number[]>();
const MAX_FACTORS = 64;
const MAX_DECIMALS = 64;

function stepAt(decimals: number, factor: number): number | undefined {
  let row = STEPS.get(factor);
  if (row === undefined && STEPS.size < MAX_FACTORS) STEPS.set(factor, (row = []));
  let step = row?.[decimals];
  if (step === undefined) {
    const s = scale(10 ** -decimals, factor);
    step = Number.isFinite(s) && s > 0 ? s : NaN;
    if (row !== undefined && decimals < MAX_DECIMALS) row[decimals] = step;
  }
  return Number.isNaN(step) ? undefined : step;
}

/** The factor from a duration's unit to ms (bare numbers are ms), as durationToMs applies it. */
export function msFactor(text: string): number {
  const unit = /(ms|s|us|µs|ns)\s*$/.exec(text.trim())?.[1];
  return unit === 's' ? 1000 : unit === 'us' || unit === 'µs' ? 1e-3 : unit === 'ns' ? 1e-6 : 1;
}

/** Strict: the whole (trimmed) string is one number. */
export function wholeNumber(text: string): number | undefined {
  const t = text.trim();
  const m = NUMBER_AT_START.exec(t);
  if (!m || m[0].length !== t.length) return undefined;
  const value = Number(m[0]);
  return Number.isFinite(value) ? value : undefined;
}

// Unit conversions multiply by exact powers; toPrecision(12) removes binary float noise
// (46.1087 s -> 46108.7 ms, not 46108.700000000004) without touching printed digits.
export function scale(value: number, factor: number): number {
  const scaled = Number((value * factor).toPrecision(12));
  return Number.isFinite(scaled) ? scaled : NaN;
}

/** A duration with an optional unit (ms, s, us) to milliseconds; bare numbers are ms. */
export function durationToMs(text: string): number | undefined {
  const m = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(ms|s|us|µs|ns)?\s*$/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  if (!Number.isFinite(value)) return undefined;
  const factor = m[2] === 's' ? 1000 : m[2] === 'us' || m[2] === 'µs' ? 1e-3 : m[2] === 'ns' ? 1e-6 : 1;
  // Bare ms (1.0's latency block): with at most 12 digits printed, scale(value, 1) gives value
  // back (toPrecision(12) reprints those digits exactly), so its cost is skipped; -0 it prints as 0.
  if (factor === 1 && m[1]!.length <= 12) return value === 0 ? 0 : value;
  const ms = scale(value, factor);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A duration with an optional 's' unit to seconds ("10.0001s"). */
export function secondsValue(text: string): number | undefined {
  const m = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(s|ms)?\s*$/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  if (!Number.isFinite(value)) return undefined;
  const s = m[2] === 'ms' ? scale(value, 1e-3) : value;
  return Number.isFinite(s) ? s : undefined;
}

// sysbench 0.4 prints sizes with binary multiples spelled b/Kb/Mb/Gb/Tb (and 0.4 memory 'MB',
// 1.0 'KiB/MiB/GiB'): all are powers of 1024.
const TO_MIB: Record<string, number> = {
  b: 1 / 1048576,
  B: 1 / 1048576,
  kb: 1 / 1024,
  kib: 1 / 1024,
  mb: 1,
  mib: 1,
  gb: 1024,
  gib: 1024,
  tb: 1048576,
  tib: 1048576,
};

export function toMiB(value: number, unit: string): number | undefined {
  const factor = TO_MIB[unit] ?? TO_MIB[unit.toLowerCase()];
  if (factor === undefined) return undefined;
  const mib = scale(value, factor);
  return Number.isFinite(mib) ? mib : undefined;
}
