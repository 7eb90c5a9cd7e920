// sysbench prints every number with a fixed number of decimals (latency 0.02 ms, rates 1234.56),
// so a value is only known to ± half a step. These helpers carry that step into the statistics.

/** Variance of the rounding error of one value printed at step Δ (uniform on ±Δ/2): Δ²/12. */
export function quantizationVariance(step: number): number {
  return step > 0 ? (step * step) / 12 : 0;
}

/** The step of a number written with `decimals` decimals (2 → 0.01, 0 → 1). */
export function stepOfDecimals(decimals: number): number {
  return Number((10 ** -decimals).toPrecision(1));
}

/** Decimals of a printed number: "0.020" → 3, "1234" → 0, "1.5e-3" → 4. */
export function decimalsOfText(text: string): number {
  const m = /^[+-]?\d*(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) return 0;
  return Math.max(0, (m[1]?.length ?? 0) - Number(m[2] ?? 0));
}

/**
 * Best guess of the printing step from stored values when it was not recorded (results from
 * agents older than the resolution fields): the finest step any value needs, e.g. 0.02 and
 * 0.05 → 0.01. A value printed with trailing zeros ("0.10") looks coarser than it was, so the
 * guess errs towards a larger step, i.e. towards caution.
 */
export function inferResolution(values: readonly number[]): number {
  let decimals = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    let d = 0;
    while (d < 9 && Math.abs(v * 10 ** d - Math.round(v * 10 ** d)) > 1e-9 * Math.max(1, Math.abs(v * 10 ** d))) d++;
    decimals = Math.max(decimals, d);
  }
  return stepOfDecimals(decimals);
}
