import type { LlamaConfig } from '../../../src/llama/config';
import { createRandom, randomNormal } from '../../../src/llama/rng';
import { expectedWeightShapes, type WeightMap } from '../../../src/llama/weights';

/**
 * Random weights large enough (std 0.3, norms around 1) that attention is far from uniform and
 * every activation is exercised, unlike the 0.02 training init.
 */
export function randomWeights(config: LlamaConfig, seed: number, std = 0.3): WeightMap {
  const random = createRandom(seed);
  const weights: WeightMap = new Map();
  for (const [name, shape] of expectedWeightShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = shape.length === 1 ? 1 + 0.2 * randomNormal(random) : std * randomNormal(random);
    weights.set(name, { shape, data });
  }
  return weights;
}

/** max |actual - expected| / max |expected|: one relative error for a whole tensor. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return worst / scale;
}
