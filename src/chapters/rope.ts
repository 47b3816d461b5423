/**
 * The numbers and the arithmetic of the RoPE chapter (content/03-rope.mdx), in float64 on plain
 * arrays, written to be read next to the prose:
 *
 *   theta_i = base^(-2i/d),  i = 0 .. d/2 - 1
 *   pair i of q at position m is turned by the angle m * theta_i
 *   rope(q, m) . rope(k, n) depends on m - n only
 *
 * The engine's own RoPE is src/llama/rope.ts (tfjs); the widgets compare against its taps.
 * Checked by tests/unit/rope-chapter.test.ts.
 */
import type { RopeLayout } from '../llama/config';
import { dot } from './attention';

export type { RopeLayout };
export const ROPE_LAYOUTS = ['rotate_half', 'interleaved'] as const satisfies readonly RopeLayout[];

/** theta_i = base^(-2i/d): how far pair i turns per position, in radians. */
export function ropeFrequencies(d: number, base: number): number[] {
  return Array.from({ length: d / 2 }, (_, i) => base ** ((-2 * i) / d));
}

/** Positions for pair i to come back to where it started: 2 pi / theta_i. */
export function pairPeriod(i: number, d: number, base: number): number {
  return (2 * Math.PI) / ropeFrequencies(d, base)[i];
}

/** The two coordinates of x that form pair i: (i, i + d/2) in rotate_half, (2i, 2i + 1) interleaved. */
export function pairIndices(i: number, d: number, layout: RopeLayout): [number, number] {
  return layout === 'rotate_half' ? [i, i + d / 2] : [2 * i, 2 * i + 1];
}

/** Each pair of x as a point [a, b] in the plane, pair 0 first. */
export function pairsOf(x: ArrayLike<number>, layout: RopeLayout): [number, number][] {
  const d = x.length;
  return Array.from({ length: d / 2 }, (_, i) => {
    const [a, b] = pairIndices(i, d, layout);
    return [x[a], x[b]];
  });
}

/** rope(x, position): every pair turned by position * theta_i (counter-clockwise). */
export function applyRope(x: ArrayLike<number>, position: number, base: number, layout: RopeLayout = 'rotate_half'): number[] {
  const d = x.length;
  const out = Array.from(x);
  ropeFrequencies(d, base).forEach((theta, i) => {
    const [a, b] = pairIndices(i, d, layout);
    const angle = position * theta;
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    out[a] = x[a] * cos - x[b] * sin;
    out[b] = x[a] * sin + x[b] * cos;
  });
  return out;
}

/** The attention score of a query at position m and a key at position n: rope(q, m) . rope(k, n) / sqrt(d). */
export function ropeScore(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  m: number,
  n: number,
  base: number,
  layout: RopeLayout = 'rotate_half',
): number {
  return dot(applyRope(q, m, base, layout), applyRope(k, n, base, layout)) / Math.sqrt(q.length);
}

/**
 * The same score written as the derivation in the chapter ends: a sum over pairs of
 * |q_i| |k_i| cos((m - n) theta_i + phi_i - psi_i), where phi_i, psi_i are the pairs' own angles.
 * It takes only the offset m - n.
 */
export function ropeScoreFromOffset(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  offset: number,
  base: number,
  layout: RopeLayout = 'rotate_half',
): number {
  const d = q.length;
  const thetas = ropeFrequencies(d, base);
  const kPairs = pairsOf(k, layout);
  let total = 0;
  pairsOf(q, layout).forEach(([qa, qb], i) => {
    const [ka, kb] = kPairs[i];
    total += Math.hypot(qa, qb) * Math.hypot(ka, kb) * Math.cos(offset * thetas[i] + Math.atan2(qb, qa) - Math.atan2(kb, ka));
  });
  return total / Math.sqrt(d);
}

/** Position interpolation (Chen et al. 2023): position m is read as m / factor. */
export function interpolatedPosition(position: number, factor: number): number {
  return position / factor;
}

/** "NTK-aware" scaling (bloc97, 2023): a larger base, base * factor^(d / (d - 2)). */
export function ntkAwareBase(base: number, factor: number, d: number): number {
  return base * factor ** (d / (d - 2));
}

/**
 * Hugging Face's dynamic NTK scaling: for a text of L tokens past the original context,
 * base' = base * (factor * L / original - (factor - 1))^(d / (d - 2)); unchanged up to it.
 */
export function dynamicNtkBase(base: number, factor: number, length: number, original: number, d: number): number {
  if (length <= original) return base;
  return base * ((factor * length) / original - (factor - 1)) ** (d / (d - 2));
}

/** Numbers the chapter states about the shipped model's RoPE (head_dim 32, base 10000, context 256). */
export function ropeFacts(d: number, base: number, context: number) {
  const thetas = ropeFrequencies(d, base);
  const slowest = thetas[thetas.length - 1];
  return {
    pairs: d / 2,
    fastestPeriod: pairPeriod(0, d, base),
    slowestTheta: slowest,
    slowestPeriod: pairPeriod(d / 2 - 1, d, base),
    /** how far, in degrees, the slowest pair turns over the whole training context */
    slowestTurnOverContextDegrees: (context * slowest * 180) / Math.PI,
  };
}

/** Mean of the values at positions [from, to). NaN for an empty range. */
export function meanOver(values: readonly number[], from: number, to: number): number {
  const slice = values.slice(from, to);
  return slice.reduce((sum, x) => sum + x, 0) / slice.length;
}

/** A moving average over a window of `width` positions ending at each position (for loss curves). */
export function movingAverage(values: readonly number[], width: number): number[] {
  let total = 0;
  return values.map((value, i) => {
    total += value;
    if (i >= width) total -= values[i - width];
    return total / Math.min(i + 1, width);
  });
}

/**
 * The stretch-the-context figure's default text: four held-out stories (data/stories/test.jsonl,
 * examples 3 to 6, never trained on), one per line, about two and a half times the context.
 */
export const STRETCH_PROMPT = "Once upon a time, there was a little boy called Cole. It was a cold day. There were white clouds in the sky. Cole had a friend called Gil. Gil was very kind. \"Let's have a race to the red gate!\" said Cole. \"Yes!\" said Gil. \"Ready, set, go!\" Cole and Gil ran very fast. But Cole fell down and hurt his knee. Cole cried because his knee hurt. Gil stopped running and went back to help. \"Are you okay, Cole?\" asked Gil. Gil helped Cole get up. They walked to the red gate together. \"We both won,\" said Cole, and Gil laughed. It is fun to do things together.\nThere once was a little boy named James. It was raining a little. James had three oranges. Dad gave them to him in the morning. His best friend was a girl named Lara. Lara had a big smile. Lara looked at the oranges. She was hungry. \"Can I have a orange?\" asked Lara. But James did not want to share. \"No, they are mine!\" he said. Lara was sad, so she sat down in the barn. James saw that Lara was sad. James felt bad because he was not kind. So James gave Lara a orange. \"Here, this is for you,\" he said. \"Thank you, James!\" said Lara with a big smile. They ate the oranges together at the farm. When James got home, he told Dad about Lara. Dad said, \"I am proud of you, James.\" Being kind makes everyone happy.\nOnce upon a time, there was a kind boy called Kurt. There were white clouds in the sky. The sun was shining. His best friend was a boy named Ralph. Ralph was very kind. \"Let's have a race to the old fence!\" said Kurt. \"Yes!\" said Ralph. \"Ready, set, go!\" Kurt and Ralph ran very fast. But Ralph fell down and hurt his knee. Ralph cried because his knee hurt. Kurt stopped running and went back to help. \"Are you okay, Ralph?\" asked Kurt. Kurt helped Ralph get up. They walked to the old fence together. \"We both won,\" said Ralph, and Kurt laughed. It is fun to do things together.\nOnce upon a time, there was a happy boy named Vic. The sun was shining. Vic had a friend called Jon. Jon liked to play ball. Vic and Jon wanted to build a boat. They used paper to make it. Vic put the paper at the bottom, and Jon put the paper on top. It was very big and very strong. Then the cat came, and the boat fell down! Vic was angry. \"Oh no!\" he said. Jon was sad too. But then he had an idea. \"Let's build it again, and make it even better!\" said Jon. So Vic and Jon built it again. This time it did not fall down. Vic and Jon were happy. Vic learned to never give up.";

/**
 * A sliding-window mask for queryKeyMask: query q sees keys q - window + 1 .. q, so no query meets
 * a key `window` or more positions back (the distances the model never trained on, for window = context).
 */
export function slidingWindowMask(tokenCount: number, window: number): number[][] {
  return Array.from({ length: tokenCount }, (_, q) => Array.from({ length: tokenCount }, (_, k) => (k <= q && q - k < window ? 1 : 0)));
}

/**
 * What the stretch figure shows on STRETCH_PROMPT at its default factor 2: mean next-token loss in
 * nats at positions inside the context (0-255) and past it, for each run, and for RoPE as trained
 * with a sliding window of the context's width. tests/unit/rope-chapter.test.ts recomputes them.
 */
export const STRETCH_FACTS = {
  tokens: 653,
  /** the longest of the four stories, in tokens: each fits the context on its own */
  longestStory: 199,
  factor: 2,
  asTrained: { inside: 0.554, past: 1.132 },
  window: { inside: 0.554, past: 0.634 },
  linear: { inside: 2.107, past: 2.572 },
  dynamic: { inside: 1.235, past: 1.878 },
} as const;

/** The longest text the stretch figure runs, in context lengths. */
export const STRETCH_MAX_CONTEXTS = 4;
