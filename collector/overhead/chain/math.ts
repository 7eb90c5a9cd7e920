// The product of a chain's per-layer ratios and its interval, and the check that it matches
// the whole-stack ratio. Same method as one ratio (docs/overhead.md): delta method on the log
// scale, Welch–Satterthwaite df. A middle layer's run appears twice (as child of the layer
// below and parent of the layer above) with opposite signs, so its terms cancel when both
// comparisons picked the same run: the arithmetic is per run, not per comparison. Like the
// comparison engine, each run's variance includes the rounding variance Δ²/12 of its printing step.
import { inferResolution, mean, quantizationVariance, tQuantile, variance } from './seam.js';

/** One side of one layer comparison: a run's trial values. */
export interface RunSample {
  /** Identifies the run (agent + run id); the same run in two layers must have the same key. */
  key: string;
  values: readonly number[];
  /** Printing step of the values; absent = inferred from them (as the comparison engine does). */
  resolution?: number | null;
}

/** One layer: child run against parent run (ratio = mean(child) / mean(parent)). */
export interface LayerPair {
  child: RunSample;
  parent: RunSample;
}

export interface LogRatioInterval {
  ratio: number;
  /** Absent when a run that does not cancel has fewer than 2 trials. */
  low?: number;
  high?: number;
  df?: number;
}

/** exp(Σ c·log mean) with its interval, for runs with signed coefficients c. */
type Terms = Map<string, { c: number; sample: RunSample }>;

function signedLogRatio(terms: Terms, level: number): LogRatioInterval {
  let logRatio = 0;
  let v = 0;
  let dfDen = 0;
  let interval = true;
  for (const { c, sample } of terms.values()) {
    if (c === 0) continue;
    const values = sample.values;
    const m = mean(values);
    if (!(m > 0)) throw new Error(`chain: a run's mean must be > 0 to take a ratio (got ${m})`);
    logRatio += c * Math.log(m);
    if (values.length < 2) {
      interval = false;
      continue;
    }
    const step = sample.resolution ?? inferResolution(values);
    const w = (c * c * (variance(values) + quantizationVariance(step))) / (values.length * m * m);
    v += w;
    dfDen += (w * w) / (values.length - 1);
  }
  const ratio = Math.exp(logRatio);
  if (!interval) return { ratio };
  if (v === 0) return { ratio, low: ratio, high: ratio, df: Infinity };
  const df = dfDen === 0 ? Infinity : (v * v) / dfDen;
  const q = tQuantile(1 - (1 - level) / 2, df);
  const se = Math.sqrt(v);
  return { ratio, low: ratio * Math.exp(-q * se), high: ratio * Math.exp(q * se), df };
}

function addTerm(terms: Terms, s: RunSample, c: number): void {
  const t = terms.get(s.key);
  if (t) t.c += c;
  else terms.set(s.key, { c, sample: s });
}

/** Π mean(child_i)/mean(parent_i) over the layers, with its 95 % interval. */
export function layersProduct(layers: readonly LayerPair[], level = 0.95): LogRatioInterval {
  if (layers.length === 0) throw new Error('chain: layersProduct needs at least one layer');
  const terms: Terms = new Map();
  for (const l of layers) {
    addTerm(terms, l.child, +1);
    addTerm(terms, l.parent, -1);
  }
  return signedLogRatio(terms, level);
}

export interface ChainCheck {
  /** Π of the per-layer ratios, with its interval. */
  layers: LogRatioInterval;
  /** mean(top)/mean(root) measured directly. */
  whole: number;
  /** whole / product: 1 = the layers' costs compose exactly; the interval says how sure. */
  interaction: LogRatioInterval;
  /**
   * The whole-stack ratio lies within the interval of the product of the layers (without an
   * interval: equal to 1e-9 relative). false = the layers do not compose: report it.
   */
  agrees: boolean;
}

/** Compares the whole-stack comparison (top against root) with the product of the layers. */
export function checkChain(layers: readonly LayerPair[], whole: LayerPair, level = 0.95): ChainCheck {
  const product = layersProduct(layers, level);
  const terms: Terms = new Map();
  addTerm(terms, whole.child, +1);
  addTerm(terms, whole.parent, -1);
  for (const l of layers) {
    addTerm(terms, l.child, -1);
    addTerm(terms, l.parent, +1);
  }
  const interaction = signedLogRatio(terms, level);
  const wholeRatio = mean(whole.child.values) / mean(whole.parent.values);
  const agrees =
    product.low !== undefined && product.high !== undefined
      ? wholeRatio >= product.low * (1 - 1e-12) && wholeRatio <= product.high * (1 + 1e-12)
      : Math.abs(Math.log(wholeRatio / product.ratio)) <= 1e-9;
  return { layers: product, whole: wholeRatio, interaction, agrees };
}
