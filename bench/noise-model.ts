// A hierarchical noise model of benchmark runs, fitted to recorded runs (bench/data/runs-busy.json,
// bench/record-runs.ts) and used to simulate series for the change-point benchmark. On the log of
// a trial's value (host noise is multiplicative):
//   y[r, k] = μ(arm) + u[r] + e[r, k]
//   e: trial noise within a run, SD σ, Student-t tails (ν_trial);
//   u: the run's effect (the host state while it ran), SD τ, AR(1) with φ between runs recorded
//      back to back, Student-t innovations (ν_run).
// Fitted by moments (bench/noise-model.py computes the same with numpy, and a Gaussian maximum
// likelihood fit as a check of the model): σ² the pooled within-run variance; τ² the variance
// of the run means less σ²/K; φ their lag-1 autocovariance over τ²; the tails from the fourth
// cumulants (additive over independent parts) of the within-run residuals and of the run
// innovations u[r] − φ·u[r−1], with the trial noise's share taken out.

/** One recorded run: which arm, and its trials' values. */
export interface ModelRun {
  arm: string;
  values: readonly number[];
}

export interface NoiseModel {
  /** Trials per run. */
  trials: number;
  /** SD of a trial's log value around its run's mean. */
  sigma: number;
  /** SD of a run's effect (log): what makes whole runs differ. */
  tau: number;
  /** Lag-1 correlation of the effects of runs made one after another. */
  phi: number;
  /** Student-t degrees of freedom of the trial noise and of the run innovations (Infinity: normal). */
  nuTrial: number;
  nuRun: number;
}

export interface FittedModel extends NoiseModel {
  runs: number;
  /** Mean log value of each arm. */
  armMeans: Record<string, number>;
  /** Excess kurtosis of the trial noise and of the run innovations (0: normal). */
  kurtTrial: number;
  kurtRun: number;
}

const meanOf = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** Fourth cumulant and variance of values around their mean (population moments). */
function cumulants(v: readonly number[]): { var: number; k4: number } {
  const m = meanOf(v);
  let m2 = 0;
  let m4 = 0;
  for (const x of v) {
    const d = (x - m) ** 2;
    m2 += d;
    m4 += d * d;
  }
  m2 /= v.length;
  m4 /= v.length;
  return { var: m2, k4: m4 - 3 * m2 * m2 };
}

/** Student-t degrees of freedom with this excess kurtosis (6/(ν − 4)); Infinity for none. */
export function nuFromKurtosis(excess: number): number {
  return excess > 0 ? 4 + 6 / excess : Infinity;
}

/** Fits the model to runs recorded one after another (each with the same number of trials > 1). */
export function fitNoiseModel(runs: readonly ModelRun[]): FittedModel {
  const K = runs[0]?.values.length ?? 0;
  if (runs.length < 10 || K < 2 || runs.some((r) => r.values.length !== K || r.values.some((v) => !(v > 0))))
    throw new RangeError('noise model: needs at least 10 runs of the same number (≥ 2) of positive trial values');
  const logs = runs.map((r) => r.values.map(Math.log));
  const means = logs.map(meanOf);
  const arms = [...new Set(runs.map((r) => r.arm))];
  const armMeans = Object.fromEntries(arms.map((a) => [a, meanOf(means.filter((_, i) => runs[i]!.arm === a))]));
  const c = means.map((m, i) => m - armMeans[runs[i]!.arm]!);
  // Within runs: pooled sample variance and the residuals' fourth cumulant.
  const sigma2 = meanOf(logs.map((l, i) => l.reduce((a, x) => a + (x - means[i]!) ** 2, 0) / (K - 1)));
  const resid = logs.flatMap((l, i) => l.map((x) => x - means[i]!));
  const k4e = (cumulants(resid).k4 * K ** 4) / ((K - 1) ** 4 + (K - 1));
  // Between runs.
  const V = c.reduce((a, x) => a + x * x, 0) / c.length;
  let acov = 0;
  for (let i = 1; i < c.length; i++) acov += c[i]! * c[i - 1]!;
  acov /= c.length - 1;
  const tau2 = Math.max(1e-12, V - sigma2 / K);
  const phi = Math.min(0.99, Math.max(0, acov / tau2));
  // Run innovations w = c[r] − φ·c[r−1] hold η[r] plus the trial noise of two runs' means.
  const w = c.slice(1).map((x, i) => x - phi * c[i]!);
  const k4eta = cumulants(w).k4 - (k4e * (1 + phi ** 4)) / K ** 3;
  const varEta = tau2 * (1 - phi * phi);
  const kurtTrial = k4e / (sigma2 * sigma2);
  const kurtRun = k4eta / (varEta * varEta);
  return {
    trials: K,
    sigma: Math.sqrt(sigma2),
    tau: Math.sqrt(tau2),
    phi,
    nuTrial: nuFromKurtosis(kurtTrial),
    nuRun: nuFromKurtosis(kurtRun),
    runs: runs.length,
    armMeans,
    kurtTrial,
    kurtRun,
  };
}

/** The same model with every spread multiplied by `k` (its shape kept): another host's noise level. */
export function scaled(m: NoiseModel, k: number): NoiseModel {
  return { ...m, sigma: m.sigma * k, tau: m.tau * k };
}

/** SD of one run's mean (log): τ and the trial noise left after averaging the trials. */
export function runSd(m: NoiseModel): number {
  return Math.sqrt(m.tau ** 2 + m.sigma ** 2 / m.trials);
}

// --- drawing from the model (deterministic given the generator) ---

export type Rng = () => number;

export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 boosted by U^(1/shape). */
function gamma(shape: number, rng: Rng): number {
  if (shape < 1) return gamma(shape + 1, rng) * rng() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = gaussian(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Student-t draw scaled to variance 1 (a normal one for ν = Infinity; ν must be > 2). */
export function unitT(nu: number, rng: Rng): number {
  const z = gaussian(rng);
  if (!Number.isFinite(nu)) return z;
  const chi2 = 2 * gamma(nu / 2, rng);
  return (z / Math.sqrt(chi2 / nu)) * Math.sqrt((nu - 2) / nu);
}

/**
 * Means (log) of `count` runs made one after another on one host, each of m.trials trials: the
 * run effects follow the AR(1), starting from its stationary spread (its first effect a fresh
 * draw of SD τ), and each run adds its trials' noise.
 */
export function consecutiveRuns(m: NoiseModel, count: number, rng: Rng): number[] {
  let u = m.tau * unitT(m.nuRun, rng);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) u = m.phi * u + m.tau * Math.sqrt(1 - m.phi * m.phi) * unitT(m.nuRun, rng);
    let e = 0;
    for (let k = 0; k < m.trials; k++) e += m.sigma * unitT(m.nuTrial, rng);
    out.push(u + e / m.trials);
  }
  return out;
}

/**
 * The noise of one point of an overhead series (log of the guest's time ratio), by design:
 * - 'unpaired': the guest's run and a baseline run made hours apart (independent host states);
 * - 'paired': a baseline run just before and one just after the guest's run on the same host,
 *   the guest against their mean: the host state the three share cancels in part.
 */
export type Design = 'unpaired' | 'paired';

export function ratioNoise(m: NoiseModel, design: Design, rng: Rng): number {
  if (design === 'paired') {
    const [b1, g, b2] = consecutiveRuns(m, 3, rng) as [number, number, number];
    return g - (b1 + b2) / 2;
  }
  return consecutiveRuns(m, 1, rng)[0]! - consecutiveRuns(m, 1, rng)[0]!;
}

/** SD of ratioNoise computed from the model (Student-t draws have the variances of the normal ones). */
export function ratioSd(m: NoiseModel, design: Design): number {
  const trial = m.sigma ** 2 / m.trials;
  if (design === 'unpaired') return Math.sqrt(2 * (m.tau ** 2 + trial));
  // Var(u_g − (u_b1 + u_b2)/2) = τ²(1 + (1 + φ²)/2 − 2φ), plus the trial noise of 1 + 1/2 runs.
  return Math.sqrt(m.tau ** 2 * (1 + (1 + m.phi ** 2) / 2 - 2 * m.phi) + 1.5 * trial);
}
