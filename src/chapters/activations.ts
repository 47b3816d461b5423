/**
 * The numbers of the Swish / SiLU / SwiGLU chapter (content/06-swish-silu-swiglu.mdx), as plain
 * functions the chapter's widgets draw and tests/unit/activations-chapter.test.ts checks.
 *
 *   swish_β(x) = x · σ(βx),   σ(t) = 1 / (1 + e^-t);   β = 1 is SiLU.
 */

/** σ(t) = 1 / (1 + e^-t), written so that neither branch overflows. */
export function sigmoid(t: number): number {
  if (t >= 0) return 1 / (1 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1 + e);
}

/** swish_β(x) = x σ(βx). β = 0 gives x/2; β → ∞ tends to ReLU. */
export function swish(x: number, beta: number): number {
  return x * sigmoid(beta * x);
}

/** d/dx swish_β(x) = σ(βx) + βx σ(βx)(1 − σ(βx)). */
export function swishDerivative(x: number, beta: number): number {
  const s = sigmoid(beta * x);
  return s + beta * x * s * (1 - s);
}

/** SiLU = swish with β = 1. */
export function silu(x: number): number {
  return swish(x, 1);
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** ReLU's derivative, taking 0 at x = 0 (the convention of PyTorch and tfjs). */
export function reluDerivative(x: number): number {
  return x > 0 ? 1 : 0;
}

/**
 * erf(x) by its Maclaurin series for |x| < 2.5 and its continued fraction (Lentz) beyond; both
 * converge to double precision, so GELU here agrees with erf-based implementations to ~1e-15.
 */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x < 2.5) {
    // erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc x = e^{-x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated bottom-up.
  let fraction = x;
  for (let k = 60; k >= 1; k--) fraction = x + k / 2 / fraction;
  return 1 - Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}

/** Φ(x), the standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/** GELU(x) = x Φ(x) (Hendrycks & Gimpel 2016), the exact (erf) form. */
export function gelu(x: number): number {
  return x * normalCdf(x);
}

/** d/dx x Φ(x) = Φ(x) + x φ(x). */
export function geluDerivative(x: number): number {
  return normalCdf(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
}

export interface SiluMinimum {
  /** Where SiLU is smallest, about -1.2785. */
  x: number;
  /** SiLU there, about -0.2785. */
  value: number;
  /** Newton steps taken from x = -1. */
  steps: number;
}

/**
 * The minimum of SiLU by Newton's method on its derivative. SiLU'(x) = σ(x)(1 + x(1 − σ(x))), and
 * σ > 0, so the minimum solves g(x) = 1 + x(1 − σ(x)) = 0, with
 * g'(x) = (1 − σ(x)) − x σ(x)(1 − σ(x)). From x = -1 Newton converges in a few steps.
 * At the root σ(x) = 1 + 1/x, so SiLU(x) = x σ(x) = x + 1 (and x = -1 - W(1/e), W = Lambert W).
 */
export function siluMinimum(tolerance = 1e-14): SiluMinimum {
  let x = -1;
  let steps = 0;
  for (; steps < 50; steps++) {
    const s = sigmoid(x);
    const g = 1 + x * (1 - s);
    const slope = 1 - s - x * s * (1 - s);
    const step = g / slope;
    x -= step;
    if (Math.abs(step) < tolerance) {
      steps++;
      break;
    }
  }
  return { x, value: silu(x), steps };
}

/**
 * swish_β(x) = silu(βx) / β, so for β > 0 its minimum is SiLU's scaled: at x⋆/β, of value
 * SiLU(x⋆)/β. β = 0 (the line x/2) has none.
 */
export function swishMinimum(beta: number): { x: number; value: number } | null {
  if (!(beta > 0)) return null;
  const { x, value } = siluMinimum();
  return { x: x / beta, value: value / beta };
}

/**
 * GELU's minimum, by Newton's method on GELU'(x) = Φ(x) + x φ(x), whose derivative is
 * φ(x)(2 − x²). About -0.1700 at x ≈ -0.7518: shallower than SiLU's.
 */
export function geluMinimum(): { x: number; value: number } {
  let x = -0.75;
  for (let step = 0; step < 50; step++) {
    const density = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    const delta = geluDerivative(x) / (density * (2 - x * x));
    x -= delta;
    if (Math.abs(delta) < 1e-14) break;
  }
  return { x, value: gelu(x) };
}

/** Hendrycks & Gimpel's sigmoid approximation GELU(x) ≈ x σ(1.702 x): a swish with β = 1.702. */
export const GELU_SIGMOID_BETA = 1.702;

/**
 * The width of a Llama MLP (Meta's llama/model.py, FeedForward): start from the classic 4·d,
 * take 2/3 of it, because SwiGLU has three matrices where the classic MLP has two, so that the
 * parameter count stays 8·d², optionally scale by `ffnDimMultiplier` (truncating to an integer),
 * then round UP to a multiple of `multipleOf`:
 *
 *   F = multipleOf · ⌈ ⌊m · ⌊8d/3⌋⌋ / multipleOf ⌉
 *
 * Llama 1 and Llama 2 7B/13B use multipleOf 256 and no multiplier: d = 4096 gives 11008, d = 5120
 * gives 13824. Llama 2 70B (params.json: dim 8192, ffn_dim_multiplier 1.3, multiple_of 4096)
 * gives 28672; either setting alone does not.
 */
export function llamaIntermediateSize(hiddenSize: number, multipleOf = 256, ffnDimMultiplier?: number): number {
  const twoThirdsOfFourD = Math.floor((2 * 4 * hiddenSize) / 3);
  const scaled = ffnDimMultiplier === undefined ? twoThirdsOfFourD : Math.floor(ffnDimMultiplier * twoThirdsOfFourD);
  return multipleOf * Math.ceil(scaled / multipleOf);
}

/**
 * Mean validation loss (nats per token) of the shipped model over public/data/validation-sample.json
 * with each activation put into every MLP, keeping the trained weights. Measured by
 * tests/unit/activations-chapter.test.ts, which fails if the shipped model stops giving these
 * values (to 1e-3); the chapter's prose is written from them. 'linear' is swish with β = 0, the
 * straight line x/2.
 */
export const ACTIVATION_SWAP_LOSS = { silu: 0.297, gelu: 0.2968, relu: 0.2985, linear: 0.4296 } as const;

/** Relative change of the validation loss when `activation` replaces SiLU: (L − L_silu) / L_silu. */
export function lossChangeFromSilu(activation: keyof typeof ACTIVATION_SWAP_LOSS): number {
  return (ACTIVATION_SWAP_LOSS[activation] - ACTIVATION_SWAP_LOSS.silu) / ACTIVATION_SWAP_LOSS.silu;
}

/** Weights in one MLP block: two d×F matrices for the classic MLP, three for SwiGLU. */
export function mlpParameters(hiddenSize: number, intermediateSize: number, gated: boolean): number {
  return (gated ? 3 : 2) * hiddenSize * intermediateSize;
}

/** The activations the live model can swap in (src/llama/model.ts `activation`). */
export const SWAPPABLE_ACTIVATIONS = ['silu', 'relu', 'gelu', 'swish'] as const;
export type SwappableActivation = (typeof SWAPPABLE_ACTIVATIONS)[number];

/** The function of a swappable activation, on plain numbers (for the explorer's curves). */
export function activationFunction(name: SwappableActivation, beta = 1): (x: number) => number {
  switch (name) {
    case 'silu':
      return silu;
    case 'relu':
      return relu;
    case 'gelu':
      return gelu;
    case 'swish':
      return (x) => swish(x, beta);
  }
}

/** Histogram of `values` in `bins` equal bins over [min, max] (values outside are clamped in). */
export function histogram(values: ArrayLike<number>, bins: number, min: number, max: number): { x0: number; x1: number; count: number }[] {
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor((values[i] - min) / width)));
    counts[bin]++;
  }
  return counts.map((count, bin) => ({ x0: min + bin * width, x1: min + (bin + 1) * width, count }));
}

/** Share of values strictly below zero. */
export function negativeShare(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let negative = 0;
  for (let i = 0; i < values.length; i++) if (values[i] < 0) negative++;
  return negative / values.length;
}

// ----------------------------------------------------------------------------- one hidden unit

/** Where a hidden unit of an MLP took a value: story (row), position, and the value. */
export interface UnitContext {
  row: number;
  position: number;
  value: number;
}

/**
 * The `k` positions where unit `unit` is largest (sign 1) or most negative (sign -1), over rows
 * of per-position values laid out [position][unit] with `width` units (a tap [seq, width] of one
 * story each). Ties keep the earlier row and position first.
 */
export function unitTopContexts(rows: readonly Float32Array[], width: number, unit: number, k: number, sign: 1 | -1 = 1): UnitContext[] {
  if (!Number.isInteger(unit) || unit < 0 || unit >= width) throw new Error(`unit must be a whole number from 0 to ${width - 1}. Received ${unit}.`);
  const all: UnitContext[] = [];
  rows.forEach((values, row) => {
    for (let position = 0; position * width < values.length; position++) all.push({ row, position, value: values[position * width + unit] });
  });
  return all.sort((a, b) => sign * (b.value - a.value) || a.row - b.row || a.position - b.position).slice(0, k);
}

/** The most common token among the contexts and its share: 1 when the unit's top contexts are all one token. */
export function topTokenShare(tokens: readonly string[]): { token: string; share: number } {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  let best = { token: '', count: 0 };
  for (const [token, count] of counts) if (count > best.count) best = { token, count };
  return { token: best.token, share: tokens.length ? best.count / tokens.length : 0 };
}

/** The gated product silu(gate) * up of one story's MLP taps, [seq * width], what W_down reads. */
export function gatedProduct(act: Float32Array, up: Float32Array): Float32Array {
  if (act.length !== up.length) throw new Error(`act and up differ in length: ${act.length} and ${up.length}.`);
  return act.map((a, i) => a * up[i]);
}
